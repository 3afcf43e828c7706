"""Board forms: input shape only; the services enforce the rules."""
from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired

from ..forms import Form, MaxLength
from ..limits import MAX_BODY_LENGTH, MAX_TITLE_LENGTH
from ..models import DraftKind

REQUIRED = _l("This field is required.")
BODY_HELP = _l("You can use Markdown: **bold**, lists (- item), links, tables.")


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(24)


def _machine_key(value):
    """The form's own key (token_urlsafe); anything else, such as a forged 30,000-character value, is ignored."""
    return value if isinstance(value, str) and 0 < len(value) <= 64 else None


class _PostingForm(Form):
    # Issued with the form and sent back with it: the same key twice creates one post.
    idempotency_key = HiddenField(default=new_idempotency_key, filters=[_machine_key])


class ThreadForm(_PostingForm):
    title = StringField(_l("Title"), [DataRequired(REQUIRED), MaxLength(MAX_TITLE_LENGTH)])
    body = TextAreaField(
        _l("Body"), [DataRequired(REQUIRED), MaxLength(MAX_BODY_LENGTH)], description=BODY_HELP,
        render_kw={"rows": 12},
    )


class ReplyForm(_PostingForm):
    body = TextAreaField(
        _l("Your reply"), [DataRequired(REQUIRED), MaxLength(MAX_BODY_LENGTH, name=_l("Body"))],
        description=BODY_HELP, render_kw={"rows": 8},
    )


class EditPostForm(Form):
    title = StringField(_l("Title"), [MaxLength(MAX_TITLE_LENGTH)])
    body = TextAreaField(
        _l("Body"), [DataRequired(REQUIRED), MaxLength(MAX_BODY_LENGTH)], description=BODY_HELP,
        render_kw={"rows": 12},
    )
    # Only when a moderator edits someone else's post (the view removes it otherwise).
    reason = TextAreaField(_l("Reason for the edit"), [MaxLength(1000, name=_l("Reason"))], render_kw={"rows": 2},
                           description=_l("Recorded in the audit log and shown to the author."))


class DraftForm(Form):
    """What the autosave script sends: the form's kind and target, and its text as typed."""

    kind = SelectField(choices=[kind.value for kind in DraftKind])
    target = StringField(validators=[DataRequired()])
    title = StringField()
    body = TextAreaField()

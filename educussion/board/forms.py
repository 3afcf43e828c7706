"""Board forms: input shape only; the services enforce the rules."""
from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from ..forms import Form
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from .services import MAX_BODY_LENGTH, MAX_TITLE_LENGTH

REQUIRED = _l("This field is required.")
BODY_HELP = _l("You can use Markdown: **bold**, lists (- item), links, tables.")


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(24)


class _PostingForm(Form):
    # Issued with the form and sent back with it: the same key twice creates one post.
    idempotency_key = HiddenField(default=new_idempotency_key)


class ThreadForm(_PostingForm):
    title = StringField(_l("Title"), [DataRequired(REQUIRED), Length(max=MAX_TITLE_LENGTH)])
    body = TextAreaField(
        _l("Body"), [DataRequired(REQUIRED), Length(max=MAX_BODY_LENGTH)], description=BODY_HELP,
        render_kw={"rows": 12},
    )


class ReplyForm(_PostingForm):
    body = TextAreaField(
        _l("Your reply"), [DataRequired(REQUIRED), Length(max=MAX_BODY_LENGTH)], description=BODY_HELP,
        render_kw={"rows": 8},
    )


class EditPostForm(Form):
    title = StringField(_l("Title"), [Length(max=MAX_TITLE_LENGTH)])
    body = TextAreaField(
        _l("Body"), [DataRequired(REQUIRED), Length(max=MAX_BODY_LENGTH)], description=BODY_HELP,
        render_kw={"rows": 12},
    )
    # Only when a moderator edits someone else's post (the view removes it otherwise).
    reason = TextAreaField(_l("Reason for the edit"), [Length(max=1000)], render_kw={"rows": 2},
                           description=_l("Recorded in the audit log and shown to the author."))

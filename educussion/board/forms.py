"""Board forms: input shape only; the services enforce the rules."""
from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from wtforms import Field, HiddenField, MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired

from ..forms import Form, MaxLength
from ..limits import MAX_BODY_LENGTH, MAX_FILES_PER_POST, MAX_TITLE_LENGTH
from ..models import DraftKind

REQUIRED = _l("This field is required.")
BODY_HELP = _l("You can use Markdown: **bold**, lists (- item), links, tables.")


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(24)


def _machine_key(value):
    """The form's own key (token_urlsafe); anything else, such as a forged 30,000-character value, is ignored."""
    return value if isinstance(value, str) and 0 < len(value) <= 64 else None


class IdListField(Field):
    """Checkboxes sharing a name whose values are ids (the files kept from an earlier try, the files to take
    off a post); anything that is not a small positive number is ignored."""

    def process_formdata(self, valuelist):
        ids = []
        for value in valuelist[:100]:
            if isinstance(value, str) and value.isdigit() and len(value) < 10:
                ids.append(int(value))
        self.data = list(dict.fromkeys(ids))

    def _value(self):
        return ""


FILES_HELP = _l("Up to %(count)d files: PDF, images (PNG, JPEG, WebP), Word, Excel, PowerPoint, CSV or text. "
                "The text of PDF and Office files can be found by search.", count=MAX_FILES_PER_POST)
ACCEPTED_FILES = ".pdf,.png,.jpg,.jpeg,.webp,.docx,.xlsx,.pptx,.csv,.txt"


def _files_field():
    return MultipleFileField(_l("Add files"), description=FILES_HELP, render_kw={"accept": ACCEPTED_FILES})


class _PostingForm(Form):
    # Issued with the form and sent back with it: the same key twice creates one post.
    idempotency_key = HiddenField(default=new_idempotency_key, filters=[_machine_key])
    files = _files_field()
    kept_files = IdListField(default=list)  # uploads kept (24 hours) from a try that was sent back


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
    files = _files_field()
    kept_files = IdListField(default=list)
    remove_files = IdListField(default=list)  # attached files to take off
    # Only when a moderator edits someone else's post (the view removes it otherwise).
    reason = TextAreaField(_l("Reason for the edit"), [MaxLength(1000, name=_l("Reason"))], render_kw={"rows": 2},
                           description=_l("Recorded in the audit log and shown to the author."))


class DraftForm(Form):
    """What the autosave script sends: the form's kind and target, and its text as typed."""

    kind = SelectField(choices=[kind.value for kind in DraftKind])
    target = StringField(validators=[DataRequired()])
    title = StringField()
    body = TextAreaField()

"""Forms for proposals, their review and the 総会 agenda. Input shape only: the services enforce the rules."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..board.forms import BODY_HELP
from ..forms import BoundedDateField, BoundedIntegerField, Form, MaxLength
from ..limits import MAX_BODY_LENGTH, MAX_TITLE_LENGTH
from ..params import int_list
from ..models import (AGENDA_KIND_LABELS, AGENDA_RESULT_LABELS, REVIEW_ANSWER_LABELS, SECTION_LABELS, AgendaKind,
                      AgendaResult, ReviewAnswer, Section)

NOTE_LIMIT = 2000


def numbers_in(value: str | None) -> list[int]:
    """The ids in a typed or hidden list: 「12, 15」, 「12、15」 or 「12 15」 (anything else is left out)."""
    return int_list(re.split(r"[,\s、，]+", value or ""))


def _checkboxes(label, **options) -> SelectMultipleField:
    return SelectMultipleField(label, validate_choice=False, coerce=str, widget=ListWidget(prefix_label=False),
                               option_widget=CheckboxInput(), **options)


def _section_field() -> SelectField:
    return SelectField(_l("Section"), validate_choice=False,
                       choices=[SelectChoice(s.value, SECTION_LABELS[s]) for s in Section])


class ProposalForm(Form):
    fiscal_year = BoundedIntegerField(_l("Fiscal year (年度)"), [Optional()],
                                      description=_l("The year it starts in: 2025 is 令和7年度."))
    title = StringField(_l("Title"), [MaxLength(MAX_TITLE_LENGTH)])
    addressee = StringField(_l("Addressee"), [MaxLength(200)],
                            description=_l("Who receives it, e.g. 文部科学大臣 殿, 総務省, デジタル庁."))
    themes = _checkboxes(_l("Themes"))


class ParagraphForm(Form):
    section = _section_field()
    body = TextAreaField(_l("Text of the paragraph"), [MaxLength(MAX_BODY_LENGTH, name=_l("Text"))],
                         description=BODY_HELP, render_kw={"rows": 6})
    # Posts and threads the new paragraph cites (from 「提言に引用」 or a thread's まとめ): numbers, comma-separated.
    post_ids = HiddenField()
    thread_ids = HiddenField()


class NewParagraphForm(ParagraphForm):
    """A new paragraph started elsewhere (a post, a thread's まとめ): the proposal is chosen here."""
    proposal = SelectField(_l("Proposal"), validate_choice=False)


class EditParagraphForm(Form):
    body = TextAreaField(_l("Text of the paragraph"), [MaxLength(MAX_BODY_LENGTH, name=_l("Text"))],
                         description=BODY_HELP, render_kw={"rows": 8})


class CiteForm(Form):
    address = StringField(_l("Address of a post or thread"),
                          description=_l("Paste a post's permanent address (…/posts/123), a thread's address "
                                         "(…/threads/45), or a post number."))


class ChooseParagraphForm(Form):
    paragraph = RadioField(_l("Paragraph"), validate_choice=False, coerce=str)


class ReviewForm(Form):
    reviewers = _checkboxes(_l("Reviewers"), description=_l("They receive a mail and a notification."))
    deadline = BoundedDateField(_l("Deadline for answers"), [Optional()])
    message = TextAreaField(_l("Message to the reviewers"), [MaxLength(NOTE_LIMIT)], render_kw={"rows": 3})


class CommentForm(Form):
    body = TextAreaField(_l("Comment"), [MaxLength(MAX_BODY_LENGTH)], render_kw={"rows": 3})


class RewordingForm(Form):
    body = TextAreaField(_l("Proposed wording"), [MaxLength(MAX_BODY_LENGTH, name=_l("Text"))], render_kw={"rows": 8},
                         description=_l("Change the text as you would like it to read; the differences are shown "
                                        "to the secretariat."))
    note = TextAreaField(_l("Reason"), [MaxLength(NOTE_LIMIT)], render_kw={"rows": 2})


class DecisionForm(Form):
    note = TextAreaField(_l("Note (optional)"), [MaxLength(NOTE_LIMIT)], render_kw={"rows": 2})


class AnswerForm(Form):
    answer = RadioField(_l("Your answer"), validate_choice=False, coerce=str,
                        choices=[SelectChoice(a.value, REVIEW_ANSWER_LABELS[a]) for a in ReviewAnswer])
    note = TextAreaField(_l("Note (optional)"), [MaxLength(NOTE_LIMIT)], render_kw={"rows": 2})


class SubmittedForm(Form):
    submitted_on = BoundedDateField(_l("Submitted on"), [Optional()])


class MeetingForm(Form):
    title = StringField(_l("Title"), [MaxLength(MAX_TITLE_LENGTH)], description=_l("e.g. 令和7年度 第1回総会"))
    held_on = BoundedDateField(_l("Date"), [Optional()])
    place = StringField(_l("Place"), [MaxLength(200)])


class ItemForm(Form):
    kind = SelectField(_l("Kind"), validate_choice=False,
                       choices=[SelectChoice(k.value, AGENDA_KIND_LABELS[k]) for k in AgendaKind])
    title = StringField(_l("Title"), [MaxLength(MAX_TITLE_LENGTH)])
    description = TextAreaField(_l("Description"), [MaxLength(MAX_BODY_LENGTH)], render_kw={"rows": 3})
    proposals = _checkboxes(_l("Proposals"))
    threads = StringField(_l("Thread numbers"), description=_l("Separated by commas, e.g. 12, 15."))
    documents = TextAreaField(_l("Documents"), [MaxLength(5000)], render_kw={"rows": 3},
                              description=_l("One a line: the title, a space, then its address "
                                             "(e.g. 第1回総会 配布資料 https://…)."))


class ResultForm(Form):
    result = SelectField(_l("Result"), validate_choice=False,
                         choices=[SelectChoice(r.value, AGENDA_RESULT_LABELS[r]) for r in AgendaResult])
    note = TextAreaField(_l("Note"), [MaxLength(MAX_BODY_LENGTH)], render_kw={"rows": 2})


class CarryOverForm(Form):
    threads = _checkboxes(_l("Threads to carry over"))
    meeting = SelectField(_l("General meeting"), validate_choice=False)

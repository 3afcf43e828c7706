"""The export form: what to summarise, which threads, which format. Input shape only."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import BoundedDateField, BoundedIntegerField, Form
from ..models import OUTCOME_LABELS, ROLE_LABELS, Outcome, Role

FORMAT_LABELS = {
    "xlsx": _l("Excel (XLSX): overview, threads and posts sheets"),
    "csv": _l("CSV for Excel (threads)"),
    "md": _l("Markdown"),
    "json": _l("JSON (for archiving and re-use)"),
    "print": _l("Print view (save as PDF from the browser)"),
}


class ExportForm(Form):
    scope = RadioField(_l("What to summarise"), default="board", choices=[
        SelectChoice("board", _l("The whole board")), SelectChoice("theme", _l("One theme")),
        SelectChoice("thread", _l("One thread"))], validate_choice=False)
    theme = SelectField(_l("Theme"), validate_choice=False)
    thread_id = BoundedIntegerField(_l("Thread number"), [Optional(), NumberRange(min=1)],
                                    description=_l("The number at the end of the thread's address (/threads/123)."))
    fiscal_year = BoundedIntegerField(_l("Fiscal year (年度)"), [Optional(), NumberRange(min=2000, max=2100)],
                                      description=_l("The year it starts in: 2025 is 令和7年度 (April 2025 to March "
                                                     "2026). Leave empty to use the dates below."))
    start = BoundedDateField(_l("From"), [Optional()])
    end = BoundedDateField(_l("Until (inclusive)"), [Optional()])
    outcomes = SelectMultipleField(
        _l("Outcome"), validate_choice=False, choices=[SelectChoice(o.value, OUTCOME_LABELS[o]) for o in Outcome],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        description=_l("None ticked: every outcome."))
    opener_role = SelectField(_l("Opened by (role)"), validate_choice=False, choices=[
        SelectChoice("", _l("All roles"))] + [SelectChoice(r.value, ROLE_LABELS[r]) for r in Role])
    opener_prefecture = StringField(_l("Opened by (prefecture)"), description=_l("e.g. 佐賀県"))
    unanswered_days = BoundedIntegerField(_l("Unanswered after (days)"), [Optional(), NumberRange(min=0, max=3650)],
                                          default=14)
    anonymise = BooleanField(_l("Replace people's names with their organisation and role (for a public release)"))
    file_format = SelectField(_l("Format"), default="xlsx", validate_choice=False,
                              choices=[SelectChoice(key, label) for key, label in FORMAT_LABELS.items()])

"""Moderation forms: input shape only; the services enforce the rules (reasons included)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, EmailField, HiddenField, RadioField, SelectChoice, SelectField, SelectMultipleField,
                     StringField, TextAreaField)
from wtforms.validators import InputRequired, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import BoundedDateField, BoundedIntegerField, Form, MaxLength, coerce_id
from ..models import REPORT_REASON_LABELS, ROLE_LABELS, ReportReason, Role, WatchedWordAction

REASON_HELP = _l("Recorded in the audit log and shown to the people concerned.")


def reason_field(label=_l("Reason"), description=REASON_HELP) -> TextAreaField:
    return TextAreaField(label, [MaxLength(1000)], description=description, render_kw={"rows": 2})


class ReportForm(Form):
    # Radio buttons with none chosen: pressing the button without choosing files nothing (no default reason).
    reason = RadioField(
        _l("Reason"),
        [InputRequired(message=_l("Please choose a reason."))],
        choices=[SelectChoice(reason.value, REPORT_REASON_LABELS[reason])
                 for reason in ReportReason if reason != ReportReason.WATCHED_WORD],
        validate_choice=False,
    )
    details = TextAreaField(_l("Details"), [MaxLength(1000)], render_kw={"rows": 4},
                            description=_l("Required for “Other”. Only the secretariat and moderators read it."))


class ActionForm(Form):
    """One reason and a button per action (name="action")."""
    reason = reason_field()
    action = HiddenField()
    next = HiddenField()


class MoveThreadForm(Form):
    theme = SelectField(_l("Move to theme"), coerce=coerce_id, validate_choice=False)
    reason = reason_field()


class MovePostsForm(Form):
    posts = SelectMultipleField(_l("Posts to move"), coerce=coerce_id, validate_choice=False,
                                widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    target = BoundedIntegerField(_l("Into the existing thread number"), [Optional()],
                                 description=_l("The number at the end of the thread's address (/threads/123)."))
    new_title = StringField(_l("Or into a new thread titled"), [MaxLength(120)])
    theme = SelectField(_l("Theme of the new thread"), coerce=coerce_id, validate_choice=False)
    reason = reason_field()


class QueueFilterForm(Form):
    class Meta:
        csrf = False

    theme = SelectField(_l("Theme"), validate_choice=False)
    reason = SelectField(
        _l("Report reason"),
        choices=[SelectChoice("", _l("All reasons"))]
        + [SelectChoice(reason.value, REPORT_REASON_LABELS[reason]) for reason in ReportReason],
        validate_choice=False,
    )
    older_than = BoundedIntegerField(_l("Days waiting (at least)"), [Optional(), NumberRange(min=0, max=3650)])


WATCHED_ACTION_LABELS = {
    WatchedWordAction.BLOCK: _l("Block (the author is told and keeps the text)"),
    WatchedWordAction.APPROVE: _l("Hold for approval"),
    WatchedWordAction.FLAG: _l("Flag (report automatically)"),
}


def _action_choices():
    return [SelectChoice(action.value, label) for action, label in WATCHED_ACTION_LABELS.items()]


class SettingsForm(Form):
    premoderated_roles = SelectMultipleField(
        _l("Roles whose posts wait for approval"), validate_choice=False,
        choices=[SelectChoice(role.value, ROLE_LABELS[role]) for role in Role if role != Role.SECRETARIAT],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    first_posts_to_approve = BoundedIntegerField(
        _l("Posts of a newly verified account that wait for approval"), [Optional(), NumberRange(min=0, max=100)],
        description=_l("0 turns this off."))
    auto_hide_reports = BoundedIntegerField(
        _l("Hide a post after this many reports from different members"), [Optional(), NumberRange(min=0, max=100)],
        description=_l("0 turns this off. The post stays hidden until a moderator reviews it."))
    reason = TextAreaField(_l("Note for the audit log (optional)"), [MaxLength(1000)], render_kw={"rows": 2})


class WatchedWordForm(Form):
    pattern = StringField(_l("Word or pattern"), [MaxLength(500)])
    is_regex = BooleanField(_l("Regular expression"))
    label = StringField(_l("What the author is told (optional)"), [MaxLength(200)],
                        description=_l("e.g. 電話番号. Without it the word itself is shown."))
    action = SelectField(_l("What happens"), choices=_action_choices(), validate_choice=False)


class PresetForm(Form):
    preset = HiddenField()
    action = SelectField(_l("What happens"), choices=_action_choices(), validate_choice=False)


class GrantForm(Form):
    email = EmailField(_l("Member's e-mail address"), [MaxLength(254)])
    theme = SelectField(_l("Theme"), coerce=coerce_id, validate_choice=False)
    reason = reason_field()


class SuspendForm(Form):
    until = BoundedDateField(_l("Suspended until (inclusive)"), [Optional()],
                             description=_l("Leave empty for an indefinite suspension."))
    reason = reason_field(_l("Reason"), _l("Recorded in the audit log and shown to the member."))

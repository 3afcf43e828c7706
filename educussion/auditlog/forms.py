"""The audit log's filter form: GET parameters kept in the URL, no JavaScript needed."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import Optional, ValidationError

from ..forms import BoundedDateField, Form, MaxLength
from .labels import ACTION_LABELS, GROUP_LABELS, actions_in_group


def action_choices() -> list[SelectChoice]:
    """"All actions", then one option group per kind of action: the whole group first, then each action."""
    choices = [SelectChoice("", _l("All actions"))]
    for prefix, group in GROUP_LABELS.items():
        label = str(group)
        choices.append(SelectChoice(prefix, _l("%(group)s: all actions", group=label), optgroup=label))
        choices.extend(SelectChoice(action.value, ACTION_LABELS[action], optgroup=label)
                       for action in actions_in_group(prefix))
    return choices


class AuditLogFilterForm(Form):
    class Meta:
        csrf = False  # a GET filter

    action = SelectField(_l("Action"), choices=action_choices, default="")
    actor = StringField(_l("Actor"), [Optional(), MaxLength(100)], description=_l("Part of a name or e-mail address"))
    target = StringField(_l("Target"), [Optional(), MaxLength(100)],
                         description=_l("Part of a thread title, name or code"))
    start = BoundedDateField(_l("From"), [Optional()])
    end = BoundedDateField(_l("Until"), [Optional()])

    def validate_end(self, field):
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("Choose a date on or after the start date."))

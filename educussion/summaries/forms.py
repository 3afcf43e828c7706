"""Forms for the secretariat's まとめ and outcome. Input shape only."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from ..forms import Form
from wtforms import SelectChoice, SelectField, TextAreaField

from ..board.forms import BODY_HELP
from ..forms import MaxLength
from ..limits import MAX_BODY_LENGTH
from ..models import OUTCOME_LABELS, Outcome


class SummaryForm(Form):
    outcome = SelectField(_l("Outcome"), validate_choice=False,
                          choices=[SelectChoice(o.value, OUTCOME_LABELS[o]) for o in Outcome])
    conclusion = TextAreaField(_l("Conclusion (まとめ)"), [MaxLength(MAX_BODY_LENGTH)], render_kw={"rows": 10},
                               description=BODY_HELP)

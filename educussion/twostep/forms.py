"""Two-step verification forms: input shape only."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from ..forms import Form
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

REQUIRED = _l("This field is required.")


def _code_field(label, description):
    return StringField(label, [DataRequired(REQUIRED), Length(max=32)], description=description,
                       render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autocapitalize": "off",
                                  "spellcheck": "false"})


class SetupForm(Form):
    code = _code_field(_l("Code from the app"), _l("The 6-digit code the app shows for エデュカッションボード."))


class CodeForm(Form):
    code = _code_field(_l("Code"), _l("The 6-digit code from your authenticator app, or one of your recovery "
                                      "codes (e.g. abcde-fghjk)."))


class DisableForm(Form):
    code = _code_field(_l("Code"), _l("A code from your authenticator app, or a recovery code."))


class ResetForm(Form):
    reason = TextAreaField(_l("Reason"), [DataRequired(REQUIRED), Length(max=1000)], render_kw={"rows": 2},
                           description=_l("e.g. 携帯電話の紛失のため（本人に電話で確認済み）"))

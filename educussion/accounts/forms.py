"""Account forms: input shape only; the services enforce the rules."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from ..forms import Form
from wtforms import SelectChoice
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from ..forms import MaxLength
from .services import MAX_NAME_LENGTH, MIN_PASSWORD_LENGTH

REQUIRED = _l("This field is required.")
BAD_EMAIL = _l("The e-mail address is not in a valid format.")  # the service's own words for the same mistake


class LoginForm(Form):
    email = EmailField(_l("E-mail address"), [DataRequired(REQUIRED)], render_kw={"autocomplete": "username"})
    password = PasswordField(
        _l("Password"), [DataRequired(REQUIRED)], render_kw={"autocomplete": "current-password"}
    )
    remember = BooleanField(_l("Keep me logged in on this device"))
    next = HiddenField()


class RegisterForm(Form):
    email = EmailField(_l("E-mail address"), [DataRequired(REQUIRED), Email(BAD_EMAIL)],
                       render_kw={"autocomplete": "email"})
    display_name = StringField(
        _l("Name"),
        [DataRequired(REQUIRED), MaxLength(MAX_NAME_LENGTH)],
        description=_l("Family name first, as it should appear on your posts (e.g. 山田 太郎)."),
        render_kw={"autocomplete": "name"},
    )
    password = PasswordField(
        _l("Password"),
        [DataRequired(REQUIRED), Length(min=MIN_PASSWORD_LENGTH)],
        description=_l("At least %(count)d characters.", count=MIN_PASSWORD_LENGTH),
        render_kw={"autocomplete": "new-password"},
    )
    password_confirm = PasswordField(
        _l("Password (again)"),
        [DataRequired(REQUIRED), EqualTo("password", _l("The passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )


def locale_choices():
    return [SelectChoice("", _l("Automatic (browser setting)")), SelectChoice("ja", "日本語"),
            SelectChoice("en", "English")]


class ProfileForm(Form):
    display_name = StringField(
        _l("Name"), [DataRequired(REQUIRED), MaxLength(MAX_NAME_LENGTH)], render_kw={"autocomplete": "name"}
    )
    locale = SelectField(_l("Language"), choices=locale_choices)


class PasswordForm(Form):
    current_password = PasswordField(
        _l("Current password"), [DataRequired(REQUIRED)], render_kw={"autocomplete": "current-password"}
    )
    new_password = PasswordField(
        _l("New password"),
        [DataRequired(REQUIRED), Length(min=MIN_PASSWORD_LENGTH)],
        description=_l("At least %(count)d characters.", count=MIN_PASSWORD_LENGTH),
        render_kw={"autocomplete": "new-password"},
    )
    new_password_confirm = PasswordField(
        _l("New password (again)"),
        [DataRequired(REQUIRED), EqualTo("new_password", _l("The passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )


class ResendConfirmationForm(Form):
    """A button only: asks for a new confirmation link (the form carries the CSRF token)."""


class ForgotPasswordForm(Form):
    email = EmailField(_l("E-mail address"), [DataRequired(REQUIRED), Email(BAD_EMAIL)],
                       render_kw={"autocomplete": "email"})


class ResetPasswordForm(Form):
    password = PasswordField(
        _l("New password"),
        [DataRequired(REQUIRED), Length(min=MIN_PASSWORD_LENGTH)],
        description=_l("At least %(count)d characters.", count=MIN_PASSWORD_LENGTH),
        render_kw={"autocomplete": "new-password"},
    )
    password_confirm = PasswordField(
        _l("New password (again)"),
        [DataRequired(REQUIRED), EqualTo("password", _l("The passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )


class ButtonForm(Form):
    """A button only (log out on every device, unlock): the form carries the CSRF token."""


class UnlockRequestForm(Form):
    email = EmailField(_l("E-mail address"), [DataRequired(REQUIRED), Email(BAD_EMAIL)],
                       render_kw={"autocomplete": "email"})

"""WTForms' and Flask-WTF's own messages, listed here so that they are in the project's catalogue: a form error
always reads in the project's Japanese (「10文字以上で入力してください。」), never in the library's wording
(「フィールドは 10 文字以上でなければなりません。」) or in English. `forms.Form` looks them up through Flask-Babel.

This module is only read by the message extractor (`make extract-messages`); nothing calls `_listed`."""
from flask_babel import gettext, ngettext


def _listed() -> None:  # pragma: no cover - a list for pybabel, never run
    gettext("This field is required.")
    gettext("Invalid input.")
    gettext("Invalid email address.")
    gettext("Invalid URL.")
    gettext("Invalid UUID.")
    gettext("Invalid IP address.")
    gettext("Invalid Mac address.")
    gettext("Not a valid choice.")
    gettext("Invalid Choice: could not coerce.")
    gettext("Invalid choice(s): one or more data inputs could not be coerced.")
    gettext("Choices cannot be None.")
    gettext("Not a valid integer value.")
    gettext("Not a valid decimal value.")
    gettext("Not a valid float value.")
    gettext("Not a valid date value.")
    gettext("Not a valid datetime value.")
    gettext("Not a valid time value.")
    gettext("Not a valid week value.")
    gettext("Number must be at least %(min)s.")
    gettext("Number must be at most %(max)s.")
    gettext("Number must be between %(min)s and %(max)s.")
    gettext("Date must be at least %(min)s.")
    gettext("Date must be at most %(max)s.")
    gettext("Date must be between %(min)s and %(max)s.")
    gettext("Field must be equal to %(other_name)s.")
    gettext("Field must be between %(min)d and %(max)d characters long.")
    gettext("Invalid value, must be one of: %(values)s.")
    gettext("Invalid value, can't be any of: %(values)s.")
    gettext("This field cannot be edited.")
    gettext("This field is disabled and cannot have a value.")
    gettext("CSRF failed.")
    gettext("CSRF token missing.")
    gettext("CSRF token expired.")
    gettext("Invalid CSRF Token.")
    gettext("The CSRF token is missing.")
    gettext("The CSRF token is invalid.")
    gettext("The CSRF token has expired.")
    gettext("The CSRF session token is missing.")
    gettext("The CSRF tokens do not match.")
    ngettext("Field must be at least %(min)d character long.", "Field must be at least %(min)d characters long.", 1)
    ngettext("Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters.", 1)
    ngettext("Field must be exactly %(max)d character long.", "Field must be exactly %(max)d characters long.", 1)
    ngettext("'%(value)s' is not a valid choice for this field.",
             "'%(value)s' are not valid choices for this field.", 1)

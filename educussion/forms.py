"""Form helpers shared by the features: the base form (messages in the project's words), errors from
services, length limits that never cut, and number and date fields that refuse what the database could not
hold."""
from __future__ import annotations

from datetime import date

from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField
from wtforms.validators import ValidationError

from .errors import InvalidInput
from .limits import count_chars, too_long_message
from .params import MAX_INT, MIN_INT, safe_int

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)


class _ProjectMessages:
    """WTForms asks this for its messages: they come from the project's catalogue (form_messages.py lists
    the library's ones), so no form ever shows the library's own wording."""

    # The raw translations: WTForms fills in %(min)d and the like itself.
    def gettext(self, string: str) -> str:
        return get_translations().gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ngettext(singular, plural, n)


PROJECT_MESSAGES = _ProjectMessages()


class Form(FlaskForm):
    """The base of every form of the app (a test checks it)."""

    class Meta:
        def get_translations(self, form):
            return PROJECT_MESSAGES


def attach_error(form: FlaskForm, error: InvalidInput) -> None:
    """Show a service's InvalidInput beside its field (or above the form when it names none); every problem
    it carries (errors.Problems), not only the first."""
    for name, message in getattr(error, "problems", [(error.field, error.message)]):
        field = getattr(form, name, None) if name else None
        if field is not None:
            field.errors = [*field.errors, message] if isinstance(field.errors, list) else [message]
        else:
            form.form_errors.append(message)


class MaxLength:
    """At most `limit` characters, refused with the project's message (with the length sent); unlike
    WTForms' Length it puts no maxlength attribute on the input, which would silently cut pasted text.
    The forms macro writes the limit beside the field and gives the live counter its data-max-length."""

    def __init__(self, limit: int, name=None):
        self.limit = limit
        self.name = name

    def __call__(self, form, field):
        count = count_chars(field.data if isinstance(field.data, str) else None)
        if count > self.limit:
            raise ValidationError(too_long_message(str(self.name or field.label.text), self.limit, count))


def max_length_of(field) -> int | None:
    """The MaxLength limit of a field, for the template (None when it has none)."""
    return next((v.limit for v in field.validators if isinstance(v, MaxLength)), None)


def coerce_id(value) -> int:
    """SelectField coerce for ids: like int, but a number the database cannot hold is not a choice."""
    number = safe_int(value)
    if number is None:
        raise ValueError(value)
    return number


class BoundedIntegerField(IntegerField):
    """A whole number the database can hold; anything else is refused beside the field."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0] not in ("", None):
            self.data = safe_int(valuelist[0])
            if self.data is None:
                raise ValueError(_l("Please enter a whole number."))


class BoundedDateField(DateField):
    """A date between 1900 and 2999 (days far outside overflow the time arithmetic)."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(_l("Please enter a date as YYYY-MM-DD, e.g. 2025-04-01.")) from None
        if self.data is not None and not FIRST_DAY <= self.data <= LAST_DAY:
            self.data = None
            raise ValueError(_l("Please enter a date between 1900 and 2999."))


__all__ = ["attach_error", "MaxLength", "max_length_of", "coerce_id", "BoundedIntegerField", "BoundedDateField",
           "MAX_INT", "MIN_INT"]

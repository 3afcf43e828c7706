"""Form helpers shared by the features: the base form and showing a service's refusal beside its field."""
from __future__ import annotations

from flask_babel import get_translations
from flask_wtf import FlaskForm

from .errors import InvalidInput


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
    """Show a service's InvalidInput beside its field (or above the form when it names none)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message] if isinstance(field.errors, list) else [error.message]
    else:
        form.form_errors.append(error.message)

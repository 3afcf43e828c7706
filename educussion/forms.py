"""Form helpers shared by the features."""
from __future__ import annotations

from flask_wtf import FlaskForm

from .errors import InvalidInput


def attach_error(form: FlaskForm, error: InvalidInput) -> None:
    """Show a service's InvalidInput beside its field (or above the form when it names none)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message] if isinstance(field.errors, list) else [error.message]
    else:
        form.form_errors.append(error.message)

"""Domain errors raised by services, and the friendly error pages."""
from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError

from .extensions import db


class DomainError(Exception):
    """A rule of the board was not met; the message is shown to the user."""


class PermissionDenied(DomainError):
    """The actor may not do this."""


class InvalidInput(DomainError):
    """Input that passed the form's shape checks but breaks a rule; `field` names the form field."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class TooManyAttempts(InvalidInput):
    """Log-in refused while an address is locked after failures; shown above the form, never per field."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(None, message)
        self.retry_after = retry_after


# Fields never echoed back on the CSRF page.
_SECRET_FIELDS = ("password", "csrf_token")
_FIELD_LABELS = {
    "title": _l("Title"),
    "body": _l("Body"),
    "email": _l("E-mail address"),
    "display_name": _l("Name"),
}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(PermissionDenied)
    def _permission_denied(error):
        return render_template("errors/403.html", message=str(error) or None), 403

    @app.errorhandler(403)
    def _forbidden(_error):
        return render_template("errors/403.html", message=None), 403

    @app.errorhandler(404)
    def _not_found(_error):
        return render_template("errors/404.html"), 404

    @app.errorhandler(405)
    def _method_not_allowed(_error):
        return render_template("errors/404.html"), 405

    @app.errorhandler(413)
    def _too_large(_error):
        return render_template("errors/400.html", message=_("What you sent is too large.")), 413

    @app.errorhandler(429)
    def _too_many_requests(_error):
        # Per-client limits (Flask-Limiter); the account pages answer with their own form (accounts/views.py).
        message = _("Many requests have come from your network in a short time. Please wait a moment and try "
                    "again.")
        return render_template("errors/429.html", message=message), 429

    @app.errorhandler(CSRFError)
    def _csrf_error(_error):
        # Give back what the user typed, in a fresh form, so nothing is lost.
        kept = [
            (name, str(_FIELD_LABELS.get(name, name)), value)
            for name, value in request.form.items(multi=True)
            if not any(secret in name for secret in _SECRET_FIELDS)
        ]
        return render_template("errors/csrf.html", kept=kept, action=request.full_path.rstrip("?")), 400

    @app.errorhandler(500)
    def _server_error(_error):
        db.session.rollback()
        return render_template("errors/500.html"), 500

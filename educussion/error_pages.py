"""The friendly error pages: what a refusal, a missing page or a failure looks like in the browser."""
from __future__ import annotations

from flask import Flask, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .drafts.keeping import keep_typed_text
from .errors import ForbiddenCharacter, PermissionDenied
from .extensions import db


def _kept():
    """What a refused POST carried that the person typed (kept as a draft when it was a board form)."""
    return keep_typed_text() if request.method == "POST" else None


# POST-only addresses without an object in the URL → the page that shows their form. (Downloads such as
# the audit log's export stay a 405: a GET must never look like it could export.)
_FORM_PAGES = {
    "notifications.mark_read": "notifications.index",
    "notifications.mark_all_read": "notifications.index",
    "accounts.change_password": "accounts.profile",
    "accounts.logout": "site.home",
    "moderation.add_word": "moderation.settings",
    "moderation.add_preset": "moderation.settings",
    "moderation.revoke": "moderation.moderators",
    "moderation.remove_word": "moderation.settings",
    "verification.bulk_invitations": "verification.invitations",
}
# Otherwise the object the address names, by its argument.
_OBJECT_PAGES = (("post_id", "board.permalink"), ("thread_id", "board.show_thread"), ("slug", "board.show_theme"),
                 ("request_id", "verification.review"), ("user_id", "orgs.member"))


def _page_of_form_action() -> str | None:
    try:
        endpoint, args = current_app.url_map.bind_to_environ(request.environ).match(method="POST")
    except HTTPException:
        return None
    if endpoint in _FORM_PAGES:
        return url_for(_FORM_PAGES[endpoint])
    for argument, page in _OBJECT_PAGES:
        if argument in args:
            return url_for(page, **{argument: args[argument]})
    return None


def register_error_handlers(app: Flask) -> None:
    _register_refusals(app)
    _register_limits_and_failures(app)


def _register_refusals(app: Flask) -> None:
    @app.errorhandler(PermissionDenied)
    def _permission_denied(error):
        return render_template("errors/403.html", message=str(error) or None, kept=_kept()), 403

    @app.errorhandler(ForbiddenCharacter)
    def _forbidden_character(_error):
        message = _("What you sent contains a character that cannot be used (NUL). "
                    "Please remove it and send it again.")
        return render_template("errors/400.html", message=message, kept=_kept()), 400

    @app.errorhandler(403)
    def _forbidden(_error):
        return render_template("errors/403.html", message=None), 403

    @app.errorhandler(404)
    def _not_found(_error):
        return render_template("errors/404.html"), 404

    @app.errorhandler(405)
    def _method_not_allowed(_error):
        # A form's address opened as a page (after logging in again, from the history): the page it belongs to.
        page = _page_of_form_action() if request.method == "GET" else None
        if page is not None:
            return redirect(page)
        return render_template("errors/404.html"), 405


def _register_limits_and_failures(app: Flask) -> None:
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
        # The request may be forged by another site: never offer to send it again. Show what a person
        # typed, read-only, keep it as a draft, and link to the normal form opened fresh.
        return render_template("errors/csrf.html", kept=_kept()), 400

    @app.errorhandler(500)
    def _server_error(_error):
        db.session.rollback()
        return render_template("errors/500.html"), 500

"""Language choice, Japanese dates and the template helpers that format for people."""
from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import format_datetime, get_locale
from flask_login import current_user

from .models import ORGANISATION_KIND_LABELS, ROLE_LABELS, OrganisationKind, Role


def N_(message: str) -> str:
    """Marks a string for the catalogue; it is translated where it is shown."""
    return message


LOGIN_MESSAGE = N_("Please log in to continue.")
LANGUAGE_NAMES = {"ja": "日本語", "en": "English"}


def remember_requested_language() -> None:
    """`?lang=en` switches the language for this browser session (a cookie, nothing in the database)."""
    lang = request.args.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and background work speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    lang = request.args.get("lang") or session.get("lang")
    if lang in languages:
        return lang
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def format_when(value: datetime | None) -> str:
    """2025年4月1日 14:05 in Japan time (1 Apr 2025, 14:05 in English)."""
    if value is None:
        return ""
    locale = get_locale()
    pattern = "d MMM y, HH:mm" if locale is not None and locale.language == "en" else "y年M月d日 H:mm"
    return format_datetime(value, pattern)


def format_day(value: datetime | None) -> str:
    """The date alone, in Japan time: 2017年2月6日 (6 Feb 2017 in English)."""
    if value is None:
        return ""
    locale = get_locale()
    return format_datetime(value, "d MMM y" if locale is not None and locale.language == "en" else "y年M月d日")


def iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def role_label(role: Role | None) -> str:
    return str(ROLE_LABELS[role]) if role is not None else ""


def organisation_kind_label(kind: OrganisationKind | None) -> str:
    return str(ORGANISATION_KIND_LABELS[kind]) if kind is not None else ""


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["when"] = format_when
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["iso"] = iso
    app.jinja_env.globals["role_label"] = role_label
    app.jinja_env.globals["organisation_kind_label"] = organisation_kind_label
    app.jinja_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale() or "ja")

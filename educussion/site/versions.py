"""Versions of the site's pages, news, documents and settings: what a version holds, how it reads, what changed.

A version stores every field as plain data (`SiteVersion.fields`); the history page writes it out as lines in
the reader's language and compares consecutive versions with the board's bounded line diff.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..board import diff
from ..i18n import format_when
from ..models import NEWS_CATEGORY_LABELS, NewsCategory, NewsStatus, SiteVersion

FIELD_LABELS = {
    "title": _l("Title"),
    "category": _l("Category"),
    "status": _l("State"),
    "publish_at": _l("Publication date and time"),
    "is_pinned": _l("Pinned"),
    "thread_id": _l("Linked thread"),
    "link_url": _l("Link to another page"),
    "link_title": _l("Link text"),
    "body": _l("Body"),
    "statement": _l("Statement on the home page"),
    "postal_code": _l("Postal code"),
    "address": _l("Address"),
    "phone": _l("Phone (TEL)"),
    "fax": _l("Fax (FAX)"),
    "email": _l("E-mail address"),
    "office_hours": _l("Office hours"),
}
NEWS_STATUS_LABELS = {
    NewsStatus.DRAFT: _l("Draft"),
    NewsStatus.PUBLISHED: _l("Published"),
    NewsStatus.UNPUBLISHED: _l("Unpublished"),
}
# Fields written over several lines, after the short ones.
LONG_FIELDS = ("body", "statement", "address")


def field_label(name: str) -> str:
    label = FIELD_LABELS.get(name)
    return str(label) if label is not None else name


def _value_text(name: str, value: Any) -> str:
    if value in (None, ""):
        return "―"
    if name == "category":
        try:
            return str(NEWS_CATEGORY_LABELS[NewsCategory(value)])
        except ValueError:
            return str(value)
    if name == "status":
        try:
            return str(NEWS_STATUS_LABELS[NewsStatus(value)])
        except ValueError:
            return str(value)
    if name == "publish_at":
        return format_when(datetime.fromisoformat(value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def as_text(fields: dict[str, Any]) -> str:
    """A version as the history shows it: 「タイトル: …」 lines, then each long field under its name."""
    lines = [f"{field_label(name)}: {_value_text(name, value)}"
             for name, value in fields.items() if name not in LONG_FIELDS]
    for name in LONG_FIELDS:
        if name in fields:
            lines += ["", f"【{field_label(name)}】", *(str(fields[name] or "").splitlines() or ["―"])]
    return "\n".join(lines)


def changed(before: dict[str, Any] | None, after: dict[str, Any]) -> list[str]:
    """The names of the fields that differ (all of them for a first version)."""
    if before is None:
        return list(after)
    return [name for name, value in after.items() if before.get(name) != value]


@dataclass(frozen=True)
class Shown:
    version: SiteVersion
    text: str
    changes: list[diff.Line] | None  # None for the first version


def history(versions: list[SiteVersion]) -> list[Shown]:
    """Newest first, each with its changes against the one before (within one page's diff budget)."""
    ordered = sorted(versions, key=lambda version: version.number)
    budget = diff.Budget()
    shown: list[Shown] = []
    previous_text = None
    for version in ordered:
        text = as_text(version.fields)
        changes = diff.changes(previous_text, text, budget) if previous_text is not None else None
        shown.append(Shown(version, text, changes))
        previous_text = text
    return list(reversed(shown))

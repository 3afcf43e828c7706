"""Changes to the council's site: its settings, pages and news. Every change keeps a version (who, when, every
field) and writes an audit entry; nothing is deleted (an unpublished entry is kept and can be published again)."""
from __future__ import annotations

from dataclasses import dataclass, fields as dataclass_fields
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import update

from .. import audit, text
from ..database import after_commit, unit_of_work
from ..errors import InvalidInput, PermissionDenied, Problems
from ..extensions import db
from ..limits import MAX_BODY_LENGTH, MAX_TITLE_LENGTH, count_chars, too_long_message
from ..models import AuditAction, NewsCategory, NewsEntry, NewsStatus, SitePage, SiteSettings, SiteVersion, User
from ..permissions import can_edit_site, can_manage_site
from . import clock, defaults, queries, versions

MAX_LINK_LENGTH = 2000
MAX_SHORT_FIELD = 200
MAX_STATEMENT_LENGTH = 1000


# ---------------------------------------------------------------- shared

def _require_editor(actor: User | None) -> None:
    if not can_edit_site(actor):
        raise PermissionDenied(_("Only the secretariat and site editors can change the council's news and "
                                 "documents."))


def _require_manager(actor: User | None) -> None:
    if not can_manage_site(actor):
        raise PermissionDenied(_("Only the secretariat can change the site's pages and contact details."))


def _clean_line(value: str | None, field: str, name: str, limit: int, *, required: bool = False) -> str:
    value = " ".join((value or "").split())
    if required and not value:
        raise InvalidInput(field, _("Please enter the %(name)s.", name=name))
    if len(value) > limit:
        raise InvalidInput(field, too_long_message(name, limit, len(value)))
    return value


def _clean_text(value: str | None, field: str, name: str, limit: int) -> str:
    value = (value or "").replace("\r\n", "\n").strip()
    if count_chars(value) > limit:
        raise InvalidInput(field, too_long_message(name, limit, count_chars(value)))
    return value


def _keep_version(kind: str, thing: Any, actor: User | None, fields: dict[str, Any]) -> tuple[int, list[str]] | None:
    """Add a version when a field changed: (its number, the changed fields); None when nothing changed.
    The counter is raised by one statement, so two editors saving at once get two numbers."""
    db.session.flush()
    latest = queries.latest_version(kind, thing.id)
    changed = versions.changed(latest.fields if latest is not None else None, fields)
    if not changed:
        return None
    model = type(thing)
    number = db.session.execute(
        update(model).where(model.id == thing.id).values(version_count=model.version_count + 1)
        .returning(model.version_count), execution_options={"synchronize_session": False}).scalar_one()
    db.session.expire(thing, ["version_count"])
    db.session.add(SiteVersion(kind=kind, object_id=thing.id, number=number, fields=fields,
                               editor_id=actor.id if actor is not None else None,
                               editor_label=actor.display_name if actor is not None else "system",
                               created_at=clock.now()))
    return number, changed


# ---------------------------------------------------------------- settings (contact details, statement)

@dataclass(frozen=True)
class SettingsData:
    statement: str = ""
    postal_code: str = ""
    address: str = ""
    phone: str = ""
    fax: str = ""
    email: str = ""
    office_hours: str = ""


def _settings_fields(row: SiteSettings) -> dict[str, Any]:
    return {name: getattr(row, name) for name in ("postal_code", "phone", "fax", "email", "office_hours",
                                                  "address", "statement")}


def _clean_settings(data: SettingsData) -> SettingsData:
    problems = Problems()
    cleaned: dict[str, str] = {}
    limits = {"postal_code": (_("Postal code"), 16), "phone": (_("Phone (TEL)"), 32), "fax": (_("Fax (FAX)"), 32),
              "email": (_("E-mail address"), 254), "office_hours": (_("Office hours"), MAX_SHORT_FIELD)}
    for name, (label, limit) in limits.items():
        with problems.check():
            cleaned[name] = _clean_line(getattr(data, name), name, label, limit)
    with problems.check():
        cleaned["address"] = _clean_text(data.address, "address", _("Address"), 500)
    with problems.check():
        cleaned["statement"] = _clean_text(data.statement, "statement", _("Statement on the home page"),
                                           MAX_STATEMENT_LENGTH)
    email = cleaned.get("email", "")
    if email and (email.count("@") != 1 or "." not in email.rpartition("@")[2] or " " in email):
        problems.add("email", _("The e-mail address is not in a valid format."))
    problems.raise_any()
    return SettingsData(**cleaned)


def save_settings(*, actor: User | None, data: SettingsData) -> SiteSettings:
    """The home page's statement and the secretariat's contact details (an empty field: the configuration's)."""
    _require_manager(actor)
    data = _clean_settings(data)
    with unit_of_work():
        row = _settings_row()
        for field in dataclass_fields(SettingsData):
            setattr(row, field.name, getattr(data, field.name))
        row.updated_at = clock.now()
        kept = _keep_version("settings", row, actor, _settings_fields(row))
        if kept is not None:
            audit.record(actor, AuditAction.SITE_SETTINGS_CHANGED, row,
                         params={"version": kept[0], "changed": kept[1]})
        after_commit(queries.forget_contact)
    return row


def _settings_row() -> SiteSettings:
    row = queries.settings_row()
    if row is None:
        row = SiteSettings(id=queries.SETTINGS_ID, statement=defaults.STATEMENT)
        db.session.add(row)
    return row


# ---------------------------------------------------------------- pages

def _page_fields(row: SitePage) -> dict[str, Any]:
    return {"title": row.title, "body": row.body_source}


def save_page(slug: str, *, actor: User | None, title: str, body: str) -> SitePage:
    """Write one of the site's pages (about, join, contact, privacy, terms, accessibility)."""
    _require_manager(actor)
    if slug not in defaults.PAGE_SLUGS:
        raise InvalidInput(None, _("There is no such page."))
    problems = Problems()
    with problems.check():
        title = _clean_line(title, "title", _("Title"), MAX_TITLE_LENGTH, required=True)
    with problems.check():
        body = _clean_text(body, "body", _("Body"), MAX_BODY_LENGTH)
        if not body:
            raise InvalidInput("body", _("Please write something."))
    problems.raise_any()
    with unit_of_work():
        row = _write_page(slug, actor, title, body)
    return row


def _write_page(slug: str, actor: User | None, title: str, body: str) -> SitePage:
    row = queries.page_row(slug)
    if row is None:
        row = SitePage(slug=slug, title=title)
        db.session.add(row)
    row.title, row.body_source, row.body_html = title, body, text.render(body, top_heading=2)
    row.updated_at = clock.now()
    kept = _keep_version("page", row, actor, _page_fields(row))
    if kept is not None:
        audit.record(actor, AuditAction.SITE_PAGE_EDITED, row, params={"version": kept[0], "changed": kept[1]})
    return row


def load_defaults() -> int:
    """A first install's texts: each page nobody has written yet gets its default as version 1, and the settings
    their statement. Returns how many were stored (0 when everything was there already)."""
    stored = 0
    with unit_of_work():
        for slug in defaults.PAGE_SLUGS:
            if queries.page_row(slug) is None:
                title, body = defaults.PAGES[slug]
                _write_page(slug, None, title, body)
                stored += 1
        if queries.settings_row() is None:
            row = _settings_row()
            _keep_version("settings", row, None, _settings_fields(row))
            stored += 1
        after_commit(queries.forget_contact)
    return stored


# ---------------------------------------------------------------- news

@dataclass(frozen=True)
class NewsData:
    title: str
    category: str
    body: str = ""
    publish_at: datetime | None = None  # aware; None: when published (now)
    is_pinned: bool = False
    thread_id: int | None = None
    link_url: str = ""
    link_title: str = ""


def _news_fields(entry: NewsEntry) -> dict[str, Any]:
    return {
        "title": entry.title,
        "category": entry.category.value,
        "status": entry.status.value,
        "publish_at": entry.publish_at.isoformat() if entry.publish_at is not None else None,
        "is_pinned": entry.is_pinned,
        "thread_id": entry.thread_id,
        "link_url": entry.link_url,
        "link_title": entry.link_title,
        "body": entry.body_source,
    }


def _clean_link(url: str | None) -> str:
    url = (url or "").strip()
    if not url:
        return ""
    if len(url) > MAX_LINK_LENGTH:
        raise InvalidInput("link_url", too_long_message(_("Link to another page"), MAX_LINK_LENGTH, len(url)))
    lowered = url.lower()
    if not (lowered.startswith(("http://", "https://")) or (url.startswith("/") and not url.startswith("//"))) \
            or any(ch.isspace() for ch in url):
        raise InvalidInput("link_url", _("Please enter an address starting with https:// (or a page of this site "
                                         "starting with /)."))
    return url


def _clean_news(data: NewsData) -> NewsData:
    problems = Problems()
    cleaned: dict[str, Any] = {"publish_at": data.publish_at, "is_pinned": bool(data.is_pinned)}
    with problems.check():
        cleaned["title"] = _clean_line(data.title, "title", _("Title"), MAX_TITLE_LENGTH, required=True)
    try:
        cleaned["category"] = NewsCategory(data.category).value
    except ValueError:
        problems.add("category", _("Please choose a category."))
    with problems.check():
        cleaned["body"] = _clean_text(data.body, "body", _("Body"), MAX_BODY_LENGTH)
    with problems.check():
        cleaned["link_url"] = _clean_link(data.link_url)
    with problems.check():
        cleaned["link_title"] = _clean_line(data.link_title, "link_title", _("Link text"), MAX_SHORT_FIELD)
    cleaned["thread_id"] = data.thread_id
    if data.thread_id is not None and queries.linkable_thread(data.thread_id) is None:
        problems.add("thread_id", _("There is no thread with this number that everyone can read."))
    if not problems.found and not (cleaned["body"] or cleaned["link_url"] or data.thread_id):
        problems.add("body", _("Please write the body, or give a link."))
    problems.raise_any()
    return NewsData(**cleaned)


def _apply(entry: NewsEntry, data: NewsData) -> None:
    entry.title = data.title
    entry.category = NewsCategory(data.category)
    entry.body_source, entry.body_html = data.body, text.render(data.body)
    entry.is_pinned = data.is_pinned
    entry.thread_id = data.thread_id
    entry.link_url, entry.link_title = data.link_url, data.link_title
    if data.publish_at is not None:
        entry.publish_at = data.publish_at


def _publish(entry: NewsEntry, now: datetime) -> None:
    entry.status = NewsStatus.PUBLISHED
    if entry.publish_at is None:
        entry.publish_at = now


def _record_news(actor: User | None, entry: NewsEntry, before: dict[str, Any] | None,
                 kept: tuple[int, list[str]] | None, now: datetime) -> None:
    """The audit entries of one save: created or edited (with the fields), published, pinned or unpinned."""
    if kept is None:
        return
    number, changed = kept
    published_now = entry.status == NewsStatus.PUBLISHED and (before or {}).get("status") != NewsStatus.PUBLISHED.value
    # The state, the pin and (when publishing) the date have entries of their own.
    content = [name for name in changed
               if name not in ("status", "is_pinned") and not (published_now and name == "publish_at")]
    if before is None:
        audit.record(actor, AuditAction.NEWS_CREATED, entry, params={"version": number, "changed": []})
    elif content:
        audit.record(actor, AuditAction.NEWS_EDITED, entry, params={"version": number, "changed": content})
    if published_now:
        audit.record(actor, AuditAction.NEWS_PUBLISHED, entry, params={
            "version": number, "publish_at": entry.publish_at.isoformat(), "scheduled": entry.publish_at > now})
    if entry.is_pinned != bool((before or {}).get("is_pinned", False)):
        audit.record(actor, AuditAction.NEWS_PINNED if entry.is_pinned else AuditAction.NEWS_UNPINNED, entry,
                     params={"version": number})


def create_news(*, actor: User | None, data: NewsData, publish: bool = False) -> NewsEntry:
    """A new entry: a draft, or published (at its publication date and time, Japan time, or now)."""
    _require_editor(actor)
    data = _clean_news(data)
    now = clock.now()
    with unit_of_work():
        entry = NewsEntry(author_id=actor.id, created_at=now, updated_at=now, status=NewsStatus.DRAFT)
        _apply(entry, data)
        if publish:
            _publish(entry, now)
        db.session.add(entry)
        _record_news(actor, entry, None, _keep_version("news", entry, actor, _news_fields(entry)), now)
    return entry


def edit_news(entry: NewsEntry, *, actor: User | None, data: NewsData, publish: bool = False) -> NewsEntry:
    """Change an entry (a published one stays published: a later date schedules it again); `publish` also
    publishes a draft or an unpublished entry."""
    _require_editor(actor)
    data = _clean_news(data)
    now = clock.now()
    with unit_of_work():
        before = _news_fields(entry)
        _apply(entry, data)
        if publish:
            _publish(entry, now)
        kept = _keep_version("news", entry, actor, _news_fields(entry))
        if kept is not None:
            entry.updated_at = now
        _record_news(actor, entry, before, kept, now)
    return entry


def publish_news(entry: NewsEntry, *, actor: User | None) -> NewsEntry:
    """Publish a draft (now, or at its date) or publish an unpublished entry again, with its date as before."""
    _require_editor(actor)
    now = clock.now()
    with unit_of_work():
        before = _news_fields(entry)
        _publish(entry, now)
        entry.updated_at = now
        _record_news(actor, entry, before, _keep_version("news", entry, actor, _news_fields(entry)), now)
    return entry


def unpublish_news(entry: NewsEntry, *, actor: User | None) -> NewsEntry:
    """Take an entry off the site (or cancel its schedule). It is kept, with its versions."""
    _require_editor(actor)
    if entry.status != NewsStatus.PUBLISHED:
        raise InvalidInput(None, _("This entry is not published."))
    now = clock.now()
    with unit_of_work():
        entry.status = NewsStatus.UNPUBLISHED
        entry.updated_at = now
        kept = _keep_version("news", entry, actor, _news_fields(entry))
        audit.record(actor, AuditAction.NEWS_UNPUBLISHED, entry, params={"version": kept[0] if kept else None})
    return entry


# ---------------------------------------------------------------- previews (nothing saved)

def news_preview(data: NewsData, entry: NewsEntry | None = None) -> NewsEntry:
    """An entry as it would be shown after saving `data`, never added to the database (for 「プレビュー」)."""
    try:
        category = NewsCategory(data.category)
    except ValueError:
        category = NewsCategory.NOTICE
    thread = queries.linkable_thread(data.thread_id) if data.thread_id is not None else None
    return NewsEntry(
        id=entry.id if entry is not None else None, title=" ".join((data.title or "").split()), category=category,
        body_source=data.body or "", body_html=text.render(data.body or ""),
        status=entry.status if entry is not None else NewsStatus.DRAFT,
        publish_at=data.publish_at or (entry.publish_at if entry is not None else None) or clock.now(),
        is_pinned=data.is_pinned, thread=thread, link_url=(data.link_url or "").strip(),
        link_title=(data.link_title or "").strip(), updated_at=clock.now())


def page_preview(slug: str, title: str, body: str) -> queries.ShownPage:
    return queries.ShownPage(slug, " ".join((title or "").split()), body or "",
                             text.render(body or "", top_heading=2), clock.now())

"""Read-only lookups for the council's site: its settings and contact details, pages, news and versions."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, time as clock_time, timedelta, timezone

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload

from .. import text
from ..dates import TOKYO
from ..extensions import db
from ..models import NewsCategory, NewsEntry, NewsStatus, SitePage, SiteSettings, SiteVersion, Thread, Visibility
from ..pagination import Page, clamp_page
from . import defaults

NEW_FOR_DAYS = 14  # 「NEW」 beside an entry published in the last two weeks
HOME_NEWS = 5
SETTINGS_ID = 1
_CACHE = "educussion.site"


# ---------------------------------------------------------------- settings and contact details

@dataclass(frozen=True)
class Contact:
    """The secretariat's contact details as shown (settings first; the configuration where a field is empty)."""

    statement: str
    postal_code: str
    address: str
    phone: str
    fax: str
    email: str
    office_hours: str

    @property
    def email_shown(self) -> str:
        """The address as pages show it, so that harvesters do not read it: jimukyoku[at]example.jp."""
        local, _at, domain = self.email.partition("@")
        return f"{local}[at]{domain}" if domain else self.email


def settings_row() -> SiteSettings | None:
    return db.session.get(SiteSettings, SETTINGS_ID)


def _contact_from(row: SiteSettings | None) -> Contact:
    config = current_app.config
    if row is None:
        return Contact(defaults.STATEMENT, "", "", config["CONTACT_PHONE"], "", config["CONTACT_EMAIL"], "")
    return Contact(row.statement, row.postal_code, row.address, row.phone or config["CONTACT_PHONE"], row.fax,
                   row.email or config["CONTACT_EMAIL"], row.office_hours)


def contact() -> Contact:
    """The contact details for the footer of every page and every mail: kept in this process for
    EDUCUSSION_SITE_SETTINGS_SECONDS (a change made here shows at once; other workers follow within that time),
    so a page costs no query for them. When the database cannot be read (the 500 page), the configuration's."""
    cache = current_app.extensions.setdefault(_CACHE, {})
    found = cache.get("contact")
    if found is not None and time.monotonic() - found[0] < current_app.config["SITE_SETTINGS_SECONDS"]:
        return found[1]
    try:
        value = _contact_from(settings_row())
    except SQLAlchemyError:
        db.session.rollback()
        return _contact_from(None)
    cache["contact"] = (time.monotonic(), value)
    return value


def contact_now() -> Contact:
    """The contact details as stored this moment (the contact page), kept for the footer from then on."""
    value = _contact_from(settings_row())
    current_app.extensions.setdefault(_CACHE, {})["contact"] = (time.monotonic(), value)
    return value


def forget_contact() -> None:
    """After a change of the settings: this process reads them again."""
    current_app.extensions.setdefault(_CACHE, {}).pop("contact", None)


# ---------------------------------------------------------------- pages

@dataclass(frozen=True)
class ShownPage:
    slug: str
    title: str
    body_source: str
    body_html: str
    updated_at: datetime | None  # None: the shipped default, never saved


def page(slug: str) -> ShownPage:
    """The page as stored, or its shipped default when nobody has written it yet."""
    row = db.session.execute(select(SitePage).filter_by(slug=slug)).scalar()
    if row is not None:
        return ShownPage(row.slug, row.title, row.body_source, row.body_html, row.updated_at)
    title, body = defaults.PAGES[slug]
    return ShownPage(slug, title, body, text.render(body, top_heading=2), None)


def page_row(slug: str) -> SitePage | None:
    return db.session.execute(select(SitePage).filter_by(slug=slug)).scalar()


def pages() -> list[ShownPage]:
    rows = {row.slug: row for row in db.session.execute(select(SitePage)).scalars()}
    shown = []
    for slug in defaults.PAGE_SLUGS:
        row = rows.get(slug)
        title = row.title if row is not None else defaults.PAGES[slug][0]
        shown.append(ShownPage(slug, title, "", "", row.updated_at if row is not None else None))
    return shown


# ---------------------------------------------------------------- news

def new_since(now: datetime) -> datetime:
    """Entries published at or after this moment carry 「NEW」."""
    return now - timedelta(days=NEW_FOR_DAYS)


def _public_news(now: datetime):
    return select(NewsEntry).where(NewsEntry.status == NewsStatus.PUBLISHED, NewsEntry.publish_at <= now)


def _newest_first(query, pinned_first: bool = True):
    order = [NewsEntry.publish_at.desc(), NewsEntry.id.desc()]
    return query.order_by(NewsEntry.is_pinned.desc(), *order) if pinned_first else query.order_by(*order)


def latest_news(now: datetime, limit: int = HOME_NEWS) -> list[NewsEntry]:
    """The home page's list: pinned entries first, then the newest."""
    return list(db.session.execute(_newest_first(_public_news(now)).limit(limit)).scalars())


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    start = datetime.combine(date(year, 1, 1), clock_time.min, tzinfo=TOKYO).astimezone(timezone.utc)
    end = datetime.combine(date(year + 1, 1, 1), clock_time.min, tzinfo=TOKYO).astimezone(timezone.utc)
    return start, end


def _filtered(now: datetime, year: int | None, category: NewsCategory | None):
    query = _public_news(now)
    if year is not None:
        start, end = _year_bounds(year)
        query = query.where(NewsEntry.publish_at >= start, NewsEntry.publish_at < end)
    if category is not None:
        query = query.where(NewsEntry.category == category)
    return query


def news_page(now: datetime, page_number: int | None, per_page: int, *, year: int | None = None,
              category: NewsCategory | None = None) -> Page[NewsEntry]:
    """One page of the public list. Pinned entries lead the unfiltered list; a year's アーカイブ is in date
    order only."""
    query = _filtered(now, year, category)
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    number = clamp_page(page_number, total, per_page)
    query = _newest_first(query, pinned_first=year is None).limit(per_page).offset((number - 1) * per_page)
    return Page(list(db.session.execute(query).scalars()), number, per_page, total)


def news_years(now: datetime) -> list[tuple[int, int]]:
    """(year, entries) of the アーカイブ, newest year first (years in Japan time)."""
    moments = db.session.execute(select(NewsEntry.publish_at).where(
        NewsEntry.status == NewsStatus.PUBLISHED, NewsEntry.publish_at <= now)).scalars()
    counts: dict[int, int] = {}
    for moment in moments:
        year = moment.astimezone(TOKYO).year
        counts[year] = counts.get(year, 0) + 1
    return sorted(counts.items(), reverse=True)


def feed_news(now: datetime, limit: int = 30) -> list[NewsEntry]:
    return list(db.session.execute(_newest_first(_public_news(now), pinned_first=False).limit(limit)).scalars())


def news_entry(entry_id: int) -> NewsEntry | None:
    return db.session.execute(select(NewsEntry).options(joinedload(NewsEntry.thread))
                              .filter_by(id=entry_id)).scalar()


def all_news(limit: int = 200) -> list[NewsEntry]:
    """The editor's list: every entry in every state, the most recently changed first."""
    query = select(NewsEntry).order_by(NewsEntry.updated_at.desc(), NewsEntry.id.desc()).limit(limit)
    return list(db.session.execute(query).scalars())


def linkable_thread(thread_id: int) -> Thread | None:
    """A thread a news entry may link to: one everyone can read."""
    return db.session.execute(select(Thread).filter_by(id=thread_id, status=Visibility.VISIBLE)).scalar()


# ---------------------------------------------------------------- versions

def versions(kind: str, object_id: int) -> list[SiteVersion]:
    query = (select(SiteVersion).options(joinedload(SiteVersion.editor)).filter_by(kind=kind, object_id=object_id)
             .order_by(SiteVersion.number))
    return list(db.session.execute(query).scalars())


def latest_version(kind: str, object_id: int) -> SiteVersion | None:
    query = (select(SiteVersion).filter_by(kind=kind, object_id=object_id)
             .order_by(SiteVersion.number.desc()).limit(1))
    return db.session.execute(query).scalar()

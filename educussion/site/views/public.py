"""The council's public pages: home, news (list, アーカイブ, entry, feed) and the pages the secretariat writes."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from ...board import queries as board_queries
from ...feeds.atom import Entry, atom_response, rfc3339
from ...models import NewsCategory, NewsEntry
from ...params import int_arg, page_arg
from ...permissions import can_edit_site
from ...urls import absolute_url
from .. import clock, defaults, queries

bp = Blueprint("site", __name__)


@bp.get("/")
def home():
    now = clock.now()
    return render_template("site/home.html", news=queries.latest_news(now), new_since=queries.new_since(now),
                           themes=board_queries.themes(), recent=board_queries.recent_threads(10))


def _category_arg() -> NewsCategory | None:
    try:
        return NewsCategory(request.args.get("category", ""))
    except ValueError:
        return None


@bp.get("/news")
def news():
    now = clock.now()
    year = int_arg("year", minimum=1900, maximum=2999)
    category = _category_arg()
    page = queries.news_page(now, page_arg(), current_app.config["NEWS_PER_PAGE"], year=year, category=category)
    return render_template("site/news_index.html", page=page, year=year, category=category,
                           years=queries.news_years(now), new_since=queries.new_since(now),
                           categories=list(NewsCategory))


def _shown_entry(entry_id: int) -> tuple[NewsEntry, bool]:
    """The entry and whether the public sees it. Nobody else finds an entry before or after its publication;
    the site's editors see it with a notice (the preview is the public page itself)."""
    entry = queries.news_entry(entry_id)
    if entry is None:
        abort(404)
    public = entry.is_public_at(clock.now())
    if not public and not can_edit_site(current_user):
        abort(404)
    return entry, public


@bp.get("/news/<int:entry_id>")
def news_entry(entry_id: int):
    entry, public = _shown_entry(entry_id)
    now = clock.now()
    return render_template("site/news_entry.html", entry=entry, public=public, now=now,
                           new_since=queries.new_since(now))


def _feed_entry(entry: NewsEntry, council: str) -> Entry:
    permalink = absolute_url("site.news_entry", entry_id=entry.id)
    return Entry(id=permalink, title=entry.title, link=permalink, published=rfc3339(entry.publish_at),
                 updated=rfc3339(max(entry.publish_at, entry.updated_at)), author=council,
                 author_uri=absolute_url("site.page", slug="about"), category_term=entry.category.value,
                 category_label=entry.category.label, content_html=entry.body_html)


@bp.get("/news/feed.atom")
def news_feed():
    now = clock.now()
    entries = queries.feed_news(now)
    council = _("National ICT Education Mayors' Council")
    updated = max((max(entry.publish_at, entry.updated_at) for entry in entries), default=now)
    return atom_response(title=_("%(council)s: news", council=council), self_url=absolute_url("site.news_feed"),
                         alternate=absolute_url("site.news"), site_name=council, updated=updated,
                         entries=[_feed_entry(entry, council) for entry in entries])


@bp.get(f"/<any({', '.join(defaults.PAGE_SLUGS)}):slug>")
def page(slug: str):
    contact = queries.contact_now() if slug == "contact" else None
    return render_template("site/page.html", page=queries.page(slug), contact=contact)

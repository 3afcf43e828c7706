"""Searching: a user's query and filters → posts in rank order, with highlighted snippets."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from .. import text
from ..dates import day_bounds
from ..extensions import db
from ..models import Post, SearchOutbox, Thread, Visibility
from . import index
from .analysis import highlight_spans
from .engine import is_exact
from .query import ParsedQuery, highlight_terms, matches_exactly, parse
from .services import document_for, log_search

CHECK_DEPTH = 500  # candidates checked with matches_exactly at least, for queries whose words have several tokens
CHECK_BATCH = 100  # candidates loaded from the database at a time


@dataclass(frozen=True)
class Filters:
    theme: str = ""
    role: str = ""
    prefecture: str = ""
    start: date | None = None
    end: date | None = None  # inclusive
    status: str = ""
    threads_only: bool = False
    newest: bool = False
    include_hidden: bool = False  # the secretariat only; the view decides


@dataclass(frozen=True)
class Hit:
    post: Post
    snippet: Markup
    title: Markup  # the thread title, matches marked


@dataclass
class Results:
    query: str
    truncated: bool
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    exact: bool = True
    page: int = 1
    pages: int = 1
    timed_out: bool = False
    checked: int = 0  # candidates whose text was checked (words of several tokens); 0 when the index decided


def _filter_queries(filters: Filters) -> list:
    queries = []
    for name, value in (("theme", filters.theme), ("role", filters.role), ("prefecture", filters.prefecture),
                        ("status", filters.status)):
        if value:
            queries.append(index.field_filter(name, value))
    if filters.threads_only:
        queries.append(index.field_filter("opening", True))
    if filters.start or filters.end:
        queries.append(index.created_between(*day_bounds(filters.start, filters.end)))
    return queries


def search(raw: str, filters: Filters, *, page: int = 1, per_page: int | None = None,
           log_filters: str = "") -> Results:
    """Search posts; never raises for any input (a query that cannot be parsed is searched as text)."""
    per_page = per_page or current_app.config["SEARCH_RESULTS_PER_PAGE"]
    parsed = parse(raw)
    results = Results(query=parsed.text, truncated=parsed.truncated, page=max(page, 1))
    if parsed.is_empty:
        return results
    started = time.perf_counter()
    needed = results.page * per_page
    exclude = [] if filters.include_hidden else [index.field_filter("visible", False)]
    not_now = _pending_not_shown(filters.include_hidden)
    if not_now:  # the index may still hold them as they were before the change: never count them
        exclude.append(index.posts_filter(not_now))
    depth = needed if is_exact(parsed) else max(CHECK_DEPTH, 2 * needed)
    hits = index.search(parsed, filters=_filter_queries(filters), exclude=index.any_of(exclude),
                        newest=filters.newest, limit=depth, time_limit=current_app.config["SEARCH_TIME_LIMIT"])
    if hits.needs_check:
        posts, total, exact, results.checked = _checked(parsed, hits, needed, filters.include_hidden)
    else:
        posts = _load(hits.post_ids, filters.include_hidden)
        total, exact = hits.total - (len(hits.post_ids) - len(posts)), not hits.timed_out
    page_posts = posts[(results.page - 1) * per_page:needed]
    terms = highlight_terms(parsed)
    results.hits = [Hit(post, snippet(_text_of(post), terms), marked(post.thread.title, terms)) for post in page_posts]
    results.total, results.exact, results.timed_out = total, exact, hits.timed_out
    results.pages = max(1, -(-results.total // per_page))
    log_search(parsed.text, log_filters, results.total, int((time.perf_counter() - started) * 1000))
    return results


def _pending_not_shown(include_hidden: bool) -> list[int]:
    """Posts waiting in the search outbox that this reader may not see now. The index differs from the
    database only for the posts in the outbox (a change writes its row in the same transaction, a drain
    removes it once the index has it), e.g. a post hidden a moment ago while the worker has not caught up."""
    query = (select(SearchOutbox.post_id).distinct()
             .outerjoin(Post, Post.id == SearchOutbox.post_id).outerjoin(Thread, Thread.id == Post.thread_id))
    gone = Post.id.is_(None)  # erased since
    query = query.where(gone if include_hidden else or_(
        gone, Post.status != Visibility.VISIBLE, Thread.status != Visibility.VISIBLE))
    return list(db.session.execute(query).scalars())


def _checked(parsed: ParsedQuery, hits: index.Hits, needed: int,
             include_hidden: bool) -> tuple[list[Post], int, bool, int]:
    """Keep the candidates whose text matches exactly, in order, until `needed` are found. Returns them,
    the number of matches (estimated from the share of matches among the candidates checked, unless all
    were checked), whether that number is exact, and how many candidates were checked."""
    found: list[Post] = []
    checked = 0
    while checked < len(hits.post_ids) and len(found) < needed:
        batch = hits.post_ids[checked:checked + CHECK_BATCH]
        checked += len(batch)
        for post in _load(batch, include_hidden):
            document = document_for(post)
            if matches_exactly(parsed, [document.title, document.body]):
                found.append(post)
    if checked >= hits.total and not hits.timed_out:
        return found[:needed], len(found), True, checked
    estimate = round(hits.total * len(found) / checked) if checked else 0
    return found[:needed], max(estimate, len(found)), False, checked


def _load(ids: list[int], include_hidden: bool) -> list[Post]:
    """The posts of `ids` in that order, as the database has them now: a post deleted since it was indexed is
    left out, and so is one the reader may not see (unless `include_hidden`), whatever the index says."""
    if not ids:
        return []
    posts = {post.id: post for post in db.session.execute(
        select(Post)
        .options(joinedload(Post.author), joinedload(Post.thread).joinedload(Thread.theme))
        .where(Post.id.in_(ids))
    ).scalars()}
    return [posts[i] for i in ids if i in posts and (include_hidden or posts[i].is_public)]


def _text_of(post: Post) -> str:
    return text.plain_text(post.body_html)


def snippet(plain: str, terms: list[str], width: int = 160) -> Markup:
    """A window of the plain text around the first match, matches wrapped in <mark>; built from plain text
    and escaped here, never from stored HTML."""
    spans = highlight_spans(plain, terms)
    first = spans[0][0] if spans else 0
    window_start = max(0, first - width // 4)
    window_end = min(len(plain), window_start + width)
    return Markup("").join(["…" if window_start > 0 else "", _mark(plain, spans, window_start, window_end),
                            "…" if window_end < len(plain) else ""])


def marked(plain: str, terms: list[str]) -> Markup:
    """The whole plain text, escaped, with the matches wrapped in <mark>."""
    return _mark(plain, highlight_spans(plain, terms), 0, len(plain))


def _mark(plain: str, spans: list[tuple[int, int]], window_start: int, window_end: int) -> Markup:
    parts: list[str] = []
    cursor = window_start
    for start, end in spans:
        if end <= window_start or start >= window_end:
            continue
        start, end = max(start, window_start), min(end, window_end)
        parts.append(escape(plain[cursor:start]))
        parts.append(Markup("<mark>") + escape(plain[start:end]) + Markup("</mark>"))
        cursor = end
    parts.append(escape(plain[cursor:window_end]))
    return Markup("").join(parts)


def frequent_queries(*, days: int = 30, limit: int = 30, zero_hits: bool = False) -> list[tuple[str, int]]:
    """The most asked queries of the last `days` days (only those that found nothing, if asked)."""
    from sqlalchemy import func

    from ..models import SearchLog, utcnow

    query = (
        select(SearchLog.query, func.count(SearchLog.id).label("times"))
        .where(SearchLog.created_at >= utcnow() - timedelta(days=days))
        .group_by(SearchLog.query)
        .order_by(func.count(SearchLog.id).desc(), SearchLog.query)
        .limit(limit)
    )
    if zero_hits:
        query = query.where(SearchLog.hits == 0)
    return [(row.query, row.times) for row in db.session.execute(query)]

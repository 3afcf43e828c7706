"""Searching: a user's query and filters → posts in rank order, with highlighted snippets."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from .. import text
from ..dates import day_bounds
from ..extensions import db
from ..models import Post, SearchOutbox, StoredFile, Thread, Visibility
from . import backend, paging
from .analysis import highlight_spans, normalise
from .syntax import ParsedQuery, highlight_terms, matches_forms, parse, text_forms
from .indexing import ATTACHMENT_NAME_END, ATTACHMENT_START, attached_text, attachment_forms, document_for

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
    attachment: str | None = None  # the name of the attached file the snippet comes from (「添付ファイル『…』の中」)


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
    capped: bool = False  # more results than a reader can page to (EDUCUSSION_SEARCH_MAX_DEPTH)
    reachable: int = 0  # results a reader can page to: the last reachable page × results per page
    searched: bool = False  # False when the query held nothing to search for
    duration_ms: int = 0  # how long the search took (for the search log)


def _index_filters(filters: Filters) -> backend.Filters:
    start, end = day_bounds(filters.start, filters.end)
    return backend.Filters(theme=filters.theme, role=filters.role, prefecture=filters.prefecture,
                           status=filters.status, opening_only=filters.threads_only,
                           created_from=start, created_before=end)


def search(raw: str, filters: Filters, *, page: int = 1, per_page: int | None = None) -> Results:
    """Search posts; never raises for any input (a query that cannot be parsed is searched as text).
    Pages past EDUCUSSION_SEARCH_MAX_DEPTH results show the last reachable page; EDUCUSSION_SEARCH_TIME_LIMIT
    covers the index, the candidate checks and the loading."""
    per_page = per_page or current_app.config["SEARCH_RESULTS_PER_PAGE"]
    parsed = parse(raw)
    last = paging.last_page(current_app.config["SEARCH_MAX_DEPTH"], per_page)
    results = Results(query=parsed.text, truncated=parsed.truncated, page=min(max(page, 1), last))
    if parsed.is_empty:
        return results
    started = time.perf_counter()
    deadline = paging.Deadline(current_app.config["SEARCH_TIME_LIMIT"])
    needed = results.page * per_page
    # the posts waiting in the outbox that the reader may not see: the index may still hold them as they were
    # before the change, so they are never counted
    exclude = backend.Exclusions(hidden=not filters.include_hidden,
                                 post_ids=tuple(_pending_not_shown(filters.include_hidden)))
    search_backend = backend.current()
    exact_words = search_backend.is_exact(parsed)

    hits = search_backend.search(parsed, filters=_index_filters(filters), exclude=exclude, newest=filters.newest,
                                 limit=needed if exact_words else max(CHECK_DEPTH, 2 * needed),
                                 time_limit=deadline.remaining(), sample=0 if exact_words else paging.SAMPLE)
    stopped = False
    if hits.needs_check:
        checked = paging.check(hits, needed=needed, deadline=deadline, batch=CHECK_BATCH,
                               keep=lambda ids: _matching(parsed, ids, filters.include_hidden))
        page_posts = checked.found[(results.page - 1) * per_page:needed]
        total, exact, results.checked, timed_out = checked.total, checked.exact, checked.checked, checked.timed_out
        stopped = checked.stopped or checked.timed_out  # later pages would not continue this one: none offered
    else:
        page_ids = hits.post_ids[(results.page - 1) * per_page:needed]
        page_posts = _load(page_ids, filters.include_hidden)  # the database has the last word on each hit
        total, exact, timed_out = hits.total - (len(page_ids) - len(page_posts)), not hits.timed_out, hits.timed_out
    terms = highlight_terms(parsed)
    results.hits = [_hit(post, terms) for post in page_posts]
    results.total, results.exact, results.timed_out = total, exact, timed_out
    results.pages = min(max(1, -(-results.total // per_page)), results.page if stopped else last)
    results.reachable = last * per_page
    results.capped = results.total > results.reachable
    results.searched, results.duration_ms = True, int((time.perf_counter() - started) * 1000)
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


def _matching(parsed: ParsedQuery, ids: list[int], include_hidden: bool) -> list[Post]:
    """The posts of `ids` that this reader may see and whose text matches `parsed` exactly, in that order."""
    kept = []
    for post in _load(ids, include_hidden):
        title = document_for(post).title
        if matches_forms(parsed, text_forms([title, text.plain_text(post.body_html)]) + attachment_forms(post)):
            kept.append(post)
    return kept


def _load(ids: list[int], include_hidden: bool) -> list[Post]:
    """The posts of `ids` in that order, as the database has them now: a post deleted since it was indexed is
    left out, and so is one the reader may not see (unless `include_hidden`), whatever the index says."""
    if not ids:
        return []
    posts = {post.id: post for post in db.session.execute(
        select(Post)
        .options(joinedload(Post.author), joinedload(Post.thread).joinedload(Thread.theme),
                 joinedload(Post.files).joinedload(StoredFile.content).undefer_group("text"))
        .where(Post.id.in_(ids))
    ).unique().scalars()}
    return [posts[i] for i in ids if i in posts and (include_hidden or posts[i].is_public)]


CHUNK = 2000  # characters of an attached file's text marked at a time (marking costs ~7 µs a character)
_RUN = re.compile(r"[^\W_]+")


def _hit(post: Post, terms: list[str]) -> Hit:
    """The snippet comes from the post's text, or, when only an attached file's text matches, from the first
    passage of that file that does. A passage is marked only when the longest run of each word's letters is in
    it (a plain `in` on the normalised text): a file of 20 pages is not marked character by character."""
    keys = [max(_RUN.findall(term), key=len) for term in terms if _RUN.search(term)]
    parts = sections(text.plain_text(post.body_html) + attached_text(post))
    for name, part in parts:
        for passage in ([part] if name is None else _passages(part)):
            if name is not None and keys and not any(key in normalise(passage) for key in keys):
                continue
            if highlight_spans(passage, terms):
                return Hit(post, snippet(passage, terms), marked(post.thread.title, terms), name)
    return Hit(post, snippet(parts[0][1], terms), marked(post.thread.title, terms), None)


def _passages(plain: str) -> list[str]:
    """An attached file's text in pieces of at most CHUNK characters, cut at page or line ends where it can."""
    pieces: list[str] = []
    for page in plain.split("\f"):
        while len(page) > CHUNK:
            cut = page.rfind("\n", CHUNK // 2, CHUNK)
            cut = cut if cut > 0 else CHUNK
            pieces.append(page[:cut])
            page = page[cut:]
        pieces.append(page)
    return pieces


def sections(body: str) -> list[tuple[str | None, str]]:
    """A document's body cut into (None, the post's own text) and (file name, its text) for each attached file."""
    own, *files = body.split("\n" + ATTACHMENT_START)
    parts: list[tuple[str | None, str]] = [(None, own)]
    for part in files:
        name, _, content = part.partition(ATTACHMENT_NAME_END)
        parts.append((name, content))
    return parts


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

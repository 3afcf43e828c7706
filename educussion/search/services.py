"""Keeping the index right: the outbox written with each change, the drain after commit, rebuild, check."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.orm import joinedload

from .. import text
from ..database import write_transaction
from ..extensions import db
from ..models import Post, SearchLog, SearchOutbox, Thread
from . import index

log = logging.getLogger(__name__)


def queue_post(post_id: int) -> None:
    """Mark a post for (re)indexing, inside the caller's transaction."""
    db.session.add(SearchOutbox(post_id=post_id))


def document_for(post: Post) -> index.Document:
    thread = post.thread
    return index.Document(
        post_id=post.id,
        thread_id=post.thread_id,
        title=thread.title if post.position == 1 else "",
        body=text.plain_text(post.body_html),
        theme=thread.theme.slug,
        role=post.author_role.value,
        prefecture=post.author_prefecture,
        status="locked" if thread.is_locked or thread.is_closed else "open",
        opening=post.position == 1,
        visible=post.is_public,  # hidden, pending, rejected, or in a thread that is not visible
        created=post.created_at,
    )


def _posts(ids: list[int]) -> list[Post]:
    return list(db.session.execute(
        select(Post).options(joinedload(Post.thread).joinedload(Thread.theme)).where(Post.id.in_(ids))
    ).scalars())


def drain(limit: int = 500) -> int:
    """Take up to `limit` outbox rows into the index; returns how many posts were indexed.

    Index first, outbox rows removed after: a crash in between only makes the next drain redo the same
    (idempotent) work. A busy index leaves everything in the outbox."""
    rows = db.session.execute(select(SearchOutbox).order_by(SearchOutbox.id).limit(limit)).scalars().all()
    if not rows:
        return 0
    row_ids = [row.id for row in rows]
    post_ids = sorted({row.post_id for row in rows})
    posts = _posts(post_ids)
    found = {post.id for post in posts}
    try:
        index.apply([document_for(post) for post in posts], [pid for pid in post_ids if pid not in found])
    except index.IndexBusy:
        log.info("search index busy; %d posts stay in the outbox", len(post_ids))
        db.session.rollback()
        return 0
    with write_transaction():
        db.session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_(row_ids)))
    return len(posts)


def drain_after_commit() -> None:
    """Best effort after a change: never fails the request (the outbox keeps the work). With
    EDUCUSSION_SEARCH_DRAIN=worker the web workers leave it all to `flask search worker`."""
    if current_app.config["SEARCH_DRAIN"] != "request":
        return
    try:
        drain()
    except Exception:  # the index must never turn a saved post into an error page
        log.exception("search drain failed; the outbox keeps the work")
        db.session.rollback()


def sync() -> int:
    """Drain the whole outbox (CLI and cron)."""
    total = 0
    while True:
        before = pending_count()
        done = drain()
        total += done
        if pending_count() == 0 or (done == 0 and pending_count() >= before):
            return total


def pending_count() -> int:
    return db.session.execute(select(func.count(SearchOutbox.id))).scalar_one()


def _all_documents(batch: int = 500) -> Iterator[index.Document]:
    last = 0
    while True:
        posts = list(db.session.execute(
            select(Post).options(joinedload(Post.thread).joinedload(Thread.theme))
            .where(Post.id > last).order_by(Post.id).limit(batch)
        ).scalars())
        if not posts:
            return
        for post in posts:
            yield document_for(post)
        last = posts[-1].id
        db.session.expunge_all()


def reindex(progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the index from the database and swap it in; the outbox up to now is then done."""
    high = db.session.execute(select(func.max(SearchOutbox.id))).scalar()
    count = index.rebuild(_all_documents(), progress=progress)
    if high is not None:
        with write_transaction():
            db.session.execute(delete(SearchOutbox).where(SearchOutbox.id <= high))
    return count


def total_posts() -> int:
    return db.session.execute(select(func.count(Post.id))).scalar_one()


def remove_abandoned() -> list[tuple[str, int]]:
    """Remove the index generations left by killed rebuilds: (folder, bytes) of each."""
    return index.remove_abandoned()


def check() -> tuple[set[int], set[int]]:
    """(posts missing from the index, index entries without a post)."""
    in_db = set(db.session.execute(select(Post.id)).scalars())
    in_index = index.indexed_ids()
    return in_db - in_index, in_index - in_db


def repair() -> tuple[int, int]:
    """Make the index converge to the database: queue the missing posts and drop entries without a post.
    Returns (queued, removed); run `sync` afterwards (the worker does both)."""
    missing, extra = check()
    if extra:
        index.apply([], sorted(extra))
    if missing:
        with write_transaction():
            for post_id in sorted(missing):
                queue_post(post_id)
    return len(missing), len(extra)


# ---------------------------------------------------------------- the search log

class _LogBuffer:
    """Searches not yet written, per app and process."""

    def __init__(self):
        self.lock = threading.Lock()
        self.entries: list[dict] = []
        self.last_flush = time.monotonic()


def _buffer() -> _LogBuffer:
    return current_app.extensions.setdefault("educussion.search_log", _LogBuffer())


def log_search(query: str, filters: str, hits: int, duration_ms: int) -> None:
    """Remember a search; written in batches, so a search page does not commit on every view."""
    buffer = _buffer()
    with buffer.lock:
        buffer.entries.append({"query": query[:200], "filters": filters[:2000], "hits": hits,
                               "duration_ms": duration_ms})
        due = (len(buffer.entries) >= current_app.config["SEARCH_LOG_BATCH"]
               or time.monotonic() - buffer.last_flush > current_app.config["SEARCH_LOG_SECONDS"])
        if not due:
            return
        batch, buffer.entries = buffer.entries, []
        buffer.last_flush = time.monotonic()
    flush_log(batch)


def flush_log(batch: list[dict] | None = None) -> None:
    if batch is None:
        buffer = _buffer()
        with buffer.lock:
            batch, buffer.entries = buffer.entries, []
    if not batch:
        return
    with write_transaction():
        db.session.add_all(SearchLog(**entry) for entry in batch)

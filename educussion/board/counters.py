"""The public counters (visible posts and threads), changed by SQL expressions inside a write transaction.

A thread's `post_count` counts its visible posts; a theme counts its visible threads and the visible posts
in them. Hidden, pending and rejected content is never counted."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, select, update

from ..extensions import db
from ..models import Theme, Thread, Visibility

_NO_SYNC = {"synchronize_session": False}


def later(column, when: datetime):
    """The later of a stored time and `when`, computed by the database (safe under concurrency)."""
    return case((column.is_(None), when), (column < when, when), else_=column)


def lock_thread(thread_id: int) -> Thread:
    """Load the thread afresh and hold its row until the commit (PostgreSQL; SQLite holds the write lock)."""
    return db.session.execute(
        select(Thread).where(Thread.id == thread_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()


def add_posts(thread: Thread, delta: int, *, posted_at: datetime | None = None) -> None:
    """`delta` visible posts appeared in (or left) a thread already locked by `lock_thread`."""
    if delta == 0 and posted_at is None:
        return
    values = {"post_count": Thread.post_count + delta}
    if posted_at is not None:
        values["last_posted_at"] = later(Thread.last_posted_at, posted_at)
    db.session.execute(update(Thread).where(Thread.id == thread.id).values(**values), execution_options=_NO_SYNC)
    if thread.status == Visibility.VISIBLE:
        add_to_theme(thread.theme_id, posts=delta, posted_at=posted_at)
    db.session.expire(thread, ["post_count", "last_posted_at"])


def add_to_theme(theme_id: int, *, threads: int = 0, posts: int = 0, posted_at: datetime | None = None) -> None:
    values = {}
    if threads:
        values["thread_count"] = Theme.thread_count + threads
    if posts:
        values["post_count"] = Theme.post_count + posts
    if posted_at is not None:
        values["last_posted_at"] = later(Theme.last_posted_at, posted_at)
    if values:
        db.session.execute(update(Theme).where(Theme.id == theme_id).values(**values), execution_options=_NO_SYNC)


def set_thread_status(thread: Thread, status: Visibility) -> None:
    """Change a locked thread's visibility; the theme gains or loses the thread and its visible posts."""
    was_visible = thread.status == Visibility.VISIBLE
    thread.status = status
    now_visible = status == Visibility.VISIBLE
    if was_visible != now_visible:
        sign = 1 if now_visible else -1
        add_to_theme(thread.theme_id, threads=sign, posts=sign * thread.post_count,
                     posted_at=thread.last_posted_at if now_visible else None)

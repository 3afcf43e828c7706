"""Read-only lookups for the feeds: public content only (visible posts in visible threads)."""
from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager, joinedload

from ..extensions import db
from ..models import Post, Theme, Thread, Visibility

FEED_LENGTH = 30


def _public_posts() -> Select:
    # One statement per feed: the thread comes with the join, its theme and the author by joined loads.
    return (
        select(Post)
        .join(Post.thread)
        .where(Post.status == Visibility.VISIBLE, Thread.status == Visibility.VISIBLE)
        .options(contains_eager(Post.thread).joinedload(Thread.theme), joinedload(Post.author))
    )


def _newest_posts(query: Select, limit: int) -> list[Post]:
    query = query.order_by(Post.created_at.desc(), Post.id.desc()).limit(limit)
    return list(db.session.execute(query).scalars())


def board_posts(limit: int = FEED_LENGTH) -> list[Post]:
    return _newest_posts(_public_posts(), limit)


def theme_opening_posts(theme: Theme, limit: int = FEED_LENGTH) -> list[Post]:
    """The opening posts of the theme's newest threads."""
    query = (
        _public_posts()
        .where(Thread.theme_id == theme.id, Post.position == 1)
        .order_by(Thread.created_at.desc(), Thread.id.desc())
        .limit(limit)
    )
    return list(db.session.execute(query).scalars())


def thread_posts(thread: Thread, limit: int = FEED_LENGTH) -> list[Post]:
    return _newest_posts(_public_posts().where(Post.thread_id == thread.id), limit)


def public_thread(thread_id: int) -> Thread | None:
    query = select(Thread).options(joinedload(Thread.theme)).filter_by(id=thread_id, status=Visibility.VISIBLE)
    return db.session.execute(query).scalar()

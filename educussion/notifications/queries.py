"""Read-only lookups for the notifications page."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Follow, Notification, Post, Theme, Thread, User, Visibility
from ..pagination import Page, clamp_page


def for_user(user: User, page: int | None, per_page: int, total: int) -> Page[Notification]:
    number = clamp_page(page, total, per_page)
    # The post and its author name the replier of a single reply (「… さんが返信しました」).
    query = (select(Notification).options(joinedload(Notification.thread),
                                          joinedload(Notification.post).joinedload(Post.author))
             .where(Notification.user_id == user.id)
             .order_by(Notification.created_at.desc(), Notification.id.desc())
             .limit(per_page).offset((number - 1) * per_page))
    return Page(list(db.session.execute(query).scalars()), number, per_page, total)


def total(user: User) -> int:
    return db.session.execute(select(func.count(Notification.id)).where(Notification.user_id == user.id)).scalar_one()


def by_id(note_id: int) -> Notification | None:
    return db.session.get(Notification, note_id)


def by_ids(user: User, ids: list[int]) -> list[Notification]:
    if not ids:
        return []
    return list(db.session.execute(select(Notification).where(
        Notification.user_id == user.id, Notification.id.in_(ids))).scalars())


def follows(user: User) -> tuple[list[Thread], list[Theme]]:
    """What the member follows now: visible threads (newest activity first) and themes."""
    threads = db.session.execute(
        select(Thread).join(Follow, Follow.thread_id == Thread.id).options(joinedload(Thread.theme))
        .where(Follow.user_id == user.id, Follow.is_active.is_(True), Thread.status == Visibility.VISIBLE)
        .order_by(Thread.last_posted_at.desc())).scalars().all()
    themes = db.session.execute(
        select(Theme).join(Follow, Follow.theme_id == Theme.id)
        .where(Follow.user_id == user.id, Follow.is_active.is_(True)).order_by(Theme.position)).scalars().all()
    return list(threads), list(themes)


def follows_theme(user: User | None, theme: Theme) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return db.session.execute(select(Follow.id).filter_by(user_id=user.id, theme_id=theme.id, is_active=True)
                              ).first() is not None

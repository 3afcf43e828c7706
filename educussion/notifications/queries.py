"""Read-only lookups for the notifications page."""
from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from ..models import Notification, User
from ..pagination import Page, clamp_page


def for_user(user: User, page: int | None, per_page: int, total: int) -> Page[Notification]:
    number = clamp_page(page, total, per_page)
    query = (select(Notification)
             .where(Notification.user_id == user.id)
             .order_by(Notification.created_at.desc(), Notification.id.desc())
             .limit(per_page).offset((number - 1) * per_page))
    return Page(list(db.session.execute(query).scalars()), number, per_page, total)


def total(user: User) -> int:
    return db.session.execute(select(func.count(Notification.id)).where(Notification.user_id == user.id)).scalar_one()


def by_id(note_id: int) -> Notification | None:
    return db.session.get(Notification, note_id)

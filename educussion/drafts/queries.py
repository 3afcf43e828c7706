"""Read-only draft lookups."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Draft, DraftKind, User


def draft_for(user: User | None, kind: DraftKind, target: str) -> Draft | None:
    """The member's draft for this form, if any (visitors have none to restore)."""
    if user is None or not user.is_authenticated:
        return None
    return db.session.execute(
        select(Draft).filter_by(user_id=user.id, kind=kind, target=str(target))
    ).scalar_one_or_none()

"""下書き: text a member was writing (a reply, a new thread, an edit) that has not been posted yet."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, str_enum, utcnow


class DraftKind(str, enum.Enum):
    REPLY = "reply"  # target: the thread id
    THREAD = "thread"  # target: the theme slug
    EDIT = "edit"  # target: the post id


class Draft(db.Model):
    """One draft per member, kind and target. A draft typed while logged out (the session had ended) has no
    user yet: it is found by the random token kept in the visitor's session, and attached at log-in."""

    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("user_id", "kind", "target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    anonymous_token: Mapped[str | None] = mapped_column(String(64), index=True)
    kind: Mapped[DraftKind] = mapped_column(str_enum(DraftKind))
    target: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

"""The search outbox (what the index still has to take in) and the search log."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class SearchOutbox(db.Model):
    """A post whose index entry must be refreshed; written in the same transaction as the change."""

    __tablename__ = "search_outbox"
    # SQLite: AUTOINCREMENT, so an id is never given twice (a drain deletes the rows it read by id).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(index=True)  # no foreign key: the row must outlive a deleted post
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SearchLog(db.Model):
    """One search: what was asked and how it went. No user id is kept."""

    __tablename__ = "search_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    query: Mapped[str] = mapped_column(String(200), index=True)
    filters: Mapped[str] = mapped_column(Text, default="")  # the filters as a URL query string
    hits: Mapped[int]
    duration_ms: Mapped[int]

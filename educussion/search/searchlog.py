"""The search log: what readers searched for, written in batches, and the secretariat's view of it."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from ..database import unit_of_work
from ..extensions import db
from ..models import SearchLog, utcnow


class _LogBuffer:
    """Searches not yet written, per app and process."""

    def __init__(self):
        self.lock = threading.Lock()
        self.entries: list[dict] = []
        self.last_flush = time.monotonic()


def _buffer() -> _LogBuffer:
    return current_app.extensions.setdefault("educussion.search_log", _LogBuffer())


def record(query: str, filters: str, hits: int, duration_ms: int) -> None:
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
    flush(batch)


def flush(batch: list[dict] | None = None) -> None:
    if batch is None:
        buffer = _buffer()
        with buffer.lock:
            batch, buffer.entries = buffer.entries, []
    if not batch:
        return
    with unit_of_work():
        db.session.add_all(SearchLog(**entry) for entry in batch)


def frequent_queries(*, days: int = 30, limit: int = 30, zero_hits: bool = False) -> list[tuple[str, int]]:
    """The most asked queries of the last `days` days (only those that found nothing, if asked)."""
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

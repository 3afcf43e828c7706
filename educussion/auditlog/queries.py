"""Reading the audit log: filters, a page for the screen, and every matching row for an export."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, or_, select

from ..dates import day_bounds
from ..extensions import db
from ..models import AuditAction, AuditEntry
from ..pagination import Page, clamp_page
from .labels import GROUP_LABELS, action_label, actions_in_group, summary_text, target_label, target_type_label

JST = ZoneInfo("Asia/Tokyo")
PER_PAGE = 50
EXPORT_BATCH = 500

# The columns of the page and of the exports, in order.
COLUMNS = (
    _l("Date and time (JST)"),
    _l("Actor"),
    _l("Action"),
    _l("Target type"),
    _l("Target"),
    _l("Summary"),
    _l("Reason"),
)


@dataclass(frozen=True)
class Filters:
    action: str = ""  # an AuditAction value ("post.hidden") or a group prefix ("post.")
    actor: str = ""  # contained in the actor's name snapshot
    target: str = ""  # contained in the target's label snapshot
    start: date | None = None  # Japan dates, both inclusive
    end: date | None = None

    def as_args(self) -> dict[str, str]:
        """The filters as URL query arguments (only those set)."""
        values = {"action": self.action, "actor": self.actor, "target": self.target,
                  "start": self.start.isoformat() if self.start else "",
                  "end": self.end.isoformat() if self.end else ""}
        return {name: value for name, value in values.items() if value}


def _actions(value: str) -> list[AuditAction] | None:
    """The actions a filter value stands for; None when it names nothing (then it does not filter)."""
    if value in GROUP_LABELS:
        return actions_in_group(value)
    try:
        return [AuditAction(value)]
    except ValueError:
        return None


def _where(query: Select, filters: Filters) -> Select:
    actions = _actions(filters.action) if filters.action else None
    if actions is not None:
        query = query.where(AuditEntry.action.in_(actions))
    if filters.actor.strip():
        query = query.where(AuditEntry.actor_label.icontains(filters.actor.strip(), autoescape=True))
    if filters.target.strip():
        query = query.where(AuditEntry.target_label.icontains(filters.target.strip(), autoescape=True))
    start, end = day_bounds(filters.start, filters.end)
    if start is not None:
        query = query.where(AuditEntry.created_at >= start)
    if end is not None:
        query = query.where(AuditEntry.created_at < end)
    return query


def _newest_first(query: Select) -> Select:
    return query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())


def count(filters: Filters) -> int:
    return db.session.execute(_where(select(func.count(AuditEntry.id)), filters)).scalar_one()


def entries(filters: Filters, page: int | None = 1, per_page: int = PER_PAGE) -> Page[AuditEntry]:
    """One page of matching entries, newest first (a count and a select: two statements)."""
    total = count(filters)
    number = clamp_page(page, total, per_page)
    query = _newest_first(_where(select(AuditEntry), filters)).limit(per_page).offset((number - 1) * per_page)
    return Page(list(db.session.execute(query).scalars()), number, per_page, total)


def iter_entries(filters: Filters, batch: int = EXPORT_BATCH) -> Iterator[AuditEntry]:
    """Every matching entry, newest first, read in batches by keyset (no OFFSET that slows as it grows)."""
    last: AuditEntry | None = None
    while True:
        query = _newest_first(_where(select(AuditEntry), filters)).limit(batch)
        if last is not None:
            query = query.where(or_(
                AuditEntry.created_at < last.created_at,
                and_(AuditEntry.created_at == last.created_at, AuditEntry.id < last.id)))
        rows = list(db.session.execute(query).scalars())
        yield from rows
        if len(rows) < batch:
            return
        last = rows[-1]  # the session holds rows weakly: memory stays flat however long the log


def headers() -> list[str]:
    return [str(column) for column in COLUMNS]


def row(entry: AuditEntry) -> list[Any]:
    """An entry as the plain values of COLUMNS (the time stays an aware UTC datetime)."""
    return [entry.created_at, entry.actor_label, action_label(entry.action), target_type_label(entry.target_type),
            target_label(entry), summary_text(entry), entry.reason]


def rows(filters: Filters) -> Iterator[list[Any]]:
    return (row(entry) for entry in iter_entries(filters))

"""Retention: log-in throttles, search log entries and sent mails are deleted once older than their configured
number of days (`flask maintenance purge`, and daily by `flask search worker`); log-in sessions that can no longer
work go with the throttles. Unsent mails and audit entries are never deleted here."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import SQLAlchemyError

from . import audit
from .database import unit_of_work
from .extensions import db
from .models import AuditAction, AuditEntry, LoginSession, LoginThrottle, OutgoingMail, SearchLog, utcnow

log = logging.getLogger(__name__)
PURGE_EVERY = timedelta(days=1)
CHECK_EVERY = 600  # seconds between looks at the audit log for the last purge (purge_if_due)


@dataclass(frozen=True)
class Purged:
    throttles: int
    search_log: int
    sent_mail: int
    days: tuple[int, int, int]  # the retention used for each (0: kept forever)
    sessions: int = 0  # log-in sessions ended or idle past "remember me", kept as long as the throttles

    def describe(self) -> str:
        counts = " ".join(f"{name}={count} (older than {days} days)" if days else f"{name}=0 (kept)"
                          for name, count, days in zip(("login_throttles", "search_log", "sent_mail"),
                                                       (self.throttles, self.search_log, self.sent_mail), self.days))
        return f"{counts} login_sessions={self.sessions}"


def purge(now: datetime | None = None) -> Purged:
    """Delete what is past its retention, in one transaction with one audit entry (actor: system) that counts it."""
    with unit_of_work():
        return _purge(now or utcnow())


def purge_if_due(now: datetime | None = None) -> Purged | None:
    """Purge if the last purge (by the command or a worker, as the audit log shows) is a day old or more. Cheap
    enough to call in a worker's loop: it looks at the audit log at most every CHECK_EVERY seconds per process."""
    state = current_app.extensions.setdefault("educussion.maintenance", {})
    if time.monotonic() < state.get("next_check", 0.0):
        return None
    state["next_check"] = time.monotonic() + CHECK_EVERY
    now = now or utcnow()
    try:
        with unit_of_work():
            last = db.session.execute(select(func.max(AuditEntry.created_at))
                                      .where(AuditEntry.action == AuditAction.RETENTION_PURGED)).scalar()
            return _purge(now) if last is None or now - last >= PURGE_EVERY else None
    except SQLAlchemyError:  # the database busy or away: the worker keeps indexing and tries again later
        log.exception("retention purge failed; retrying in %s s", CHECK_EVERY)
        return None


def _purge(now: datetime) -> Purged:
    config = current_app.config
    days = (config["RETAIN_THROTTLE_DAYS"], config["RETAIN_SEARCH_LOG_DAYS"], config["RETAIN_SENT_MAIL_DAYS"])
    throttle_days, search_days, mail_days = days
    throttles = _delete(delete(LoginThrottle).where(
        LoginThrottle.last_failure_at < now - timedelta(days=throttle_days),
        or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now))) if throttle_days else 0
    search_log = _delete(delete(SearchLog).where(
        SearchLog.created_at < now - timedelta(days=search_days))) if search_days else 0
    sent_mail = _delete(delete(OutgoingMail).where(
        OutgoingMail.sent_at.is_not(None), OutgoingMail.sent_at < now - timedelta(days=mail_days))) if mail_days else 0
    sessions = _delete(delete(LoginSession).where(
        LoginSession.last_seen_at < now - timedelta(days=throttle_days),
        or_(LoginSession.revoked_at.is_not(None),
            LoginSession.last_seen_at < now - timedelta(seconds=config["REMEMBER_COOKIE_DURATION"]))
    )) if throttle_days else 0
    purged = Purged(throttles, search_log, sent_mail, days, sessions)
    audit.record(None, AuditAction.RETENTION_PURGED, "retention", summary=purged.describe())
    return purged


def _delete(statement) -> int:
    return db.session.execute(statement, execution_options={"synchronize_session": False}).rowcount

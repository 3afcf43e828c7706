"""Log-in throttling: failures are counted per address typed, whether or not an account has it.

After 3 failures the address is locked for 10 seconds, after 5 for a minute, after 10 for 15 minutes;
failures more than an hour old are forgotten. While locked, every attempt is refused without checking
the password, with the same message for registered and unknown addresses.
"""
from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

from flask_babel import ngettext
from sqlalchemy import case, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..database import unit_of_work
from ..errors import TooManyAttempts
from ..extensions import db
from ..models import LoginThrottle, utcnow

# (failures reached, seconds locked), largest first.
LOCK_STEPS = ((10, 15 * 60), (5, 60), (3, 10))
WINDOW = timedelta(hours=1)


def throttle_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


def lock_seconds(failures: int) -> int:
    for threshold, seconds in LOCK_STEPS:
        if failures >= threshold:
            return seconds
    return 0


def too_many_attempts(remaining: timedelta) -> TooManyAttempts:
    seconds = max(1, math.ceil(remaining.total_seconds()))
    minutes = math.ceil(seconds / 60)
    message = ngettext(
        "Too many unsuccessful attempts to log in with this address. "
        "Please wait %(num)d minute and try again.",
        "Too many unsuccessful attempts to log in with this address. "
        "Please wait %(num)d minutes and try again.",
        minutes,
    )
    return TooManyAttempts(message, retry_after=seconds)


def check(email: str, now: datetime | None = None) -> bool:
    """Raise TooManyAttempts while the address is locked; True when failures are on record (to clear)."""
    now = now or utcnow()
    row = db.session.execute(
        select(LoginThrottle)
        .where(LoginThrottle.key == throttle_key(email))
        .execution_options(populate_existing=True)
    ).scalar()
    if row is None:
        return False
    if row.locked_until is not None and row.locked_until > now:
        raise too_many_attempts(row.locked_until - now)
    return True


def is_locked(email: str, now: datetime | None = None) -> bool:
    try:
        check(email, now)
    except TooManyAttempts:
        return True
    return False


def record_failure(email: str, now: datetime | None = None) -> None:
    """Count one failed log-in; raises TooManyAttempts when this failure locks the address.

    Several workers may count failures for one address at once, so the count is changed by SQL
    expressions, never read-modify-write.
    """
    now = now or utcnow()
    key = throttle_key(email)
    with unit_of_work():
        if not _count_failure(key, now):
            try:
                with db.session.begin_nested():
                    db.session.execute(insert(LoginThrottle).values(key=key, failures=1, last_failure_at=now))
            except IntegrityError:
                # PostgreSQL: another worker inserted the first failure for this address meanwhile.
                if not _count_failure(key, now):
                    raise
        failures = db.session.execute(
            select(LoginThrottle.failures).where(LoginThrottle.key == key)
        ).scalar_one()
        seconds = lock_seconds(failures)
        if seconds:
            db.session.execute(
                update(LoginThrottle)
                .where(LoginThrottle.key == key)
                .values(locked_until=now + timedelta(seconds=seconds))
                .execution_options(synchronize_session=False)
            )
    if seconds:
        raise too_many_attempts(timedelta(seconds=seconds))


def _count_failure(key: str, now: datetime) -> bool:
    """Add one failure to an existing row (starting again from 1 after an hour); False when there is none."""
    stale = or_(LoginThrottle.last_failure_at.is_(None), LoginThrottle.last_failure_at < now - WINDOW)
    result = db.session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key)
        .values(failures=case((stale, 1), else_=LoginThrottle.failures + 1), last_failure_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def clear(email: str) -> None:
    """Forget the failures of an address; call inside the caller's write transaction."""
    db.session.execute(
        delete(LoginThrottle)
        .where(LoginThrottle.key == throttle_key(email))
        .execution_options(synchronize_session=False)
    )

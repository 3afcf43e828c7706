"""A log-in between the password and the code: kept in the session, and not yet a logged-in user."""
from __future__ import annotations

import time

from flask import session
from sqlalchemy import select

from ..extensions import db
from ..models import User

SESSION_KEY = "two_step_pending"
MAX_AGE = 10 * 60  # seconds between the password and the code


def start(user: User, *, remember: bool, next_url: str | None) -> None:
    """Call after the password was right, instead of login_user, for an account with two-step verification."""
    session[SESSION_KEY] = {"token": user.session_token, "remember": bool(remember), "next": next_url or "",
                            "at": int(time.time())}


def pending_user() -> User | None:
    """The account whose password was just given, while the code is still owed (None when expired)."""
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict) or time.time() - data.get("at", 0) > MAX_AGE:
        return None
    return db.session.execute(select(User).filter_by(session_token=data.get("token", ""))).scalar()


def finish() -> dict:
    """Forget the pending log-in; returns its `remember` and `next`."""
    return session.pop(SESSION_KEY, None) or {}

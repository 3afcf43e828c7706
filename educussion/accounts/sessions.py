"""Log-in sessions: each log-in on a browser gets a row, and its cookies name it (User.get_id).

Log-out revokes the row, so the old session cookie and the old "remember me" cookie stop working on the
server, on this browser only. Rotating User.session_token (password change or reset, 「すべての端末から
ログアウト」) still ends every session at once, because every cookie also names the token.
A row unused for longer than "remember me" lasts is refused too; rows keep created/last seen/revoked
times, so old ones can be purged.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from ..database import unit_of_work
from ..extensions import db
from ..models import LoginSession, User, new_session_token, utcnow

SEEN_INTERVAL = timedelta(minutes=10)  # last_seen_at is written at most this often


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def start(user: User) -> None:
    """Open a session for a log-in that just succeeded; the user's cookies then name it."""
    secret = secrets.token_urlsafe(32)
    with unit_of_work():
        db.session.add(LoginSession(user_id=user.id, token_hash=_hash(secret)))
    user.login_secret = secret


def load_user(identifier: str) -> User | None:
    """Flask-Login's user_loader: the account of a cookie, if its session is still open."""
    token, _dot, secret = identifier.partition(".")
    query = select(User).options(joinedload(User.moderated_themes)).where(User.session_token == token)
    if not secret:  # a cookie from before log-in sessions (see User.get_id)
        return db.session.execute(query).unique().scalar_one_or_none()
    now = utcnow()
    idle = timedelta(seconds=current_app.config["REMEMBER_COOKIE_DURATION"])
    found = db.session.execute(
        query.add_columns(LoginSession.id, LoginSession.last_seen_at)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(LoginSession.token_hash == _hash(secret), LoginSession.revoked_at.is_(None),
               LoginSession.last_seen_at > now - idle)
    ).unique().first()
    if found is None:
        return None
    user, session_id, last_seen_at = found
    user.login_secret = secret
    if last_seen_at < now - SEEN_INTERVAL:
        with unit_of_work():
            db.session.execute(update(LoginSession).where(LoginSession.id == session_id)
                               .values(last_seen_at=now).execution_options(synchronize_session=False))
    return user


def end(user: User) -> None:
    """Log-out: revoke the session of this request. A cookie from before log-in sessions can only be
    ended by rotating the account's token, which ends every session of the account."""
    with unit_of_work():
        if user.login_secret:
            db.session.execute(
                update(LoginSession)
                .where(LoginSession.token_hash == _hash(user.login_secret), LoginSession.user_id == user.id,
                       LoginSession.revoked_at.is_(None))
                .values(revoked_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        else:
            user.session_token = new_session_token()
    user.login_secret = None


def end_all(user: User) -> None:
    """Every session of the account ends; call inside the caller's write transaction."""
    user.session_token = new_session_token()
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )

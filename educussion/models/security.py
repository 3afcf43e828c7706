"""Log-in throttling, keyed by the address typed (whether or not an account has it), and log-in sessions."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class LoginThrottle(db.Model):
    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the lower-cased address
    failures: Mapped[int] = mapped_column(default=0)
    # Set with every failure: rows older than the one-hour window can be purged.
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginSession(db.Model):
    """One log-in on one browser. Its cookie (session and "remember me") names the account's session_token
    and this row's secret; log-out revokes the row, so both cookies stop working on the server.

    Only a hash of the secret is stored: the table does not hold working cookies."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the cookie's secret
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

"""Two-step log-in (2段階認証): an authenticator app's secret and the single-use recovery codes."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class TwoStepSetting(db.Model):
    """A member's TOTP secret, once confirmed with a code from the app."""

    __tablename__ = "two_step_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))  # base32, as the app was given it
    enabled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The 30-second time step of the last code accepted: a code (seen over a shoulder) works only once.
    last_used_step: Mapped[int] = mapped_column(default=0)


class RecoveryCode(db.Model):
    """One of the ten codes shown once at set-up; kept as a hash, each works once."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the code without its hyphen
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

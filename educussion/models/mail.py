"""Outgoing mail, queued in the same transaction as the change that causes it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class OutgoingMail(db.Model):
    __tablename__ = "outgoing_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)  # an HTML alternative (notification mails)
    unsubscribe_url: Mapped[str | None] = mapped_column(String(500))  # sent as List-Unsubscribe (RFC 8058)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # A sender claims the mail until this time; if it dies before marking it sent, the mail is tried again after.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The Message-ID header, chosen when first claimed and kept for every try (so a re-send after a crash is
    # recognisably the same mail).
    message_id: Mapped[str | None] = mapped_column(String(320))

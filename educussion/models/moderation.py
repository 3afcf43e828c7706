"""Moderation: reports, theme moderators, pre-moderation settings, watched words, suspensions, notifications."""
from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .board import Post, Theme, Thread
from .types import UTCDateTime, str_enum, utcnow


class ReportReason(str, enum.Enum):
    SPAM = "spam"
    ABUSIVE = "abusive"
    OFF_TOPIC = "off_topic"
    PERSONAL_INFO = "personal_info"
    SALES = "sales"
    OTHER = "other"
    WATCHED_WORD = "watched_word"  # an automatic report (no reporter)

    @property
    def label(self) -> str:
        return str(REPORT_REASON_LABELS[self])


REPORT_REASON_LABELS = {
    ReportReason.SPAM: _l("Spam"),
    ReportReason.ABUSIVE: _l("Inappropriate language"),
    ReportReason.OFF_TOPIC: _l("Unrelated to the theme"),
    ReportReason.PERSONAL_INFO: _l("Contains personal information"),
    ReportReason.SALES: _l("Sales pitch or solicitation"),
    ReportReason.OTHER: _l("Other"),
    ReportReason.WATCHED_WORD: _l("Watched word (automatic)"),
}


class ReportStatus(str, enum.Enum):
    OPEN = "open"
    DISMISSED = "dismissed"  # the post stays as it is
    UPHELD = "upheld"  # the post was hidden
    WITHDRAWN = "withdrawn"  # the reporter took it back before it was reviewed


class Report(db.Model):
    """A member's report of a post. Kept forever, whatever happens to the post."""

    __tablename__ = "reports"
    __table_args__ = (
        # One open report per member per post (closed ones stay, so a post can be reported again later).
        Index("uq_reports_open_per_reporter", "post_id", "reporter_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    reason: Mapped[ReportReason] = mapped_column(str_enum(ReportReason))
    details: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ReportStatus] = mapped_column(str_enum(ReportStatus), default=ReportStatus.OPEN, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolution: Mapped[str | None] = mapped_column(Text)  # the moderator's reason

    post: Mapped[Post] = relationship()
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])


class ThemeModerator(db.Model):
    """Moderation rights on one theme, given by the secretariat; revoking keeps the row."""

    __tablename__ = "theme_moderators"
    __table_args__ = (
        Index("uq_theme_moderators_active", "user_id", "theme_id", unique=True,
              sqlite_where=text("revoked_at IS NULL"), postgresql_where=text("revoked_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id"))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    theme: Mapped[Theme] = relationship()


class ModerationSettings(db.Model):
    """The board's pre-moderation and auto-hide settings: one row, changed by the secretariat."""

    __tablename__ = "moderation_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Roles whose every post waits for approval, comma-separated Role values ("company").
    premoderated_roles: Mapped[str] = mapped_column(String(200), default="")
    # The first N posts of a newly verified account wait for approval (0: off).
    first_posts_to_approve: Mapped[int] = mapped_column(default=0)
    # Hide a post pending review after this many reports from distinct members (0: off).
    auto_hide_reports: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def premoderated_role_values(self) -> set[str]:
        return {value for value in self.premoderated_roles.split(",") if value}


class WatchedWordAction(str, enum.Enum):
    BLOCK = "block"  # the post is refused; the author is told why and keeps the text
    APPROVE = "approve"  # the post waits for approval
    FLAG = "flag"  # the post is published and reported automatically


class WatchedWord(db.Model):
    __tablename__ = "watched_words"

    id: Mapped[int] = mapped_column(primary_key=True)
    pattern: Mapped[str] = mapped_column(String(500))
    is_regex: Mapped[bool] = mapped_column(default=False)
    label: Mapped[str] = mapped_column(String(200), default="")  # what the author is told ("電話番号")
    action: Mapped[WatchedWordAction] = mapped_column(str_enum(WatchedWordAction))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # removed words stay for the record
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def display(self) -> str:
        return self.label or self.pattern


class Suspension(db.Model):
    """The history of suspensions; the current one is also on the user row."""

    __tablename__ = "suspensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: until lifted
    reason: Mapped[str] = mapped_column(Text)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    lift_reason: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])


class NotificationKind(str, enum.Enum):
    REPORT_RECEIVED = "report_received"
    REPORT_DISMISSED = "report_dismissed"
    REPORT_UPHELD = "report_upheld"
    POST_HIDDEN = "post_hidden"
    POST_UNHIDDEN = "post_unhidden"
    POST_APPROVED = "post_approved"
    POST_REJECTED = "post_rejected"
    POST_EDITED_BY_MODERATOR = "post_edited_by_moderator"
    POST_MOVED = "post_moved"
    THREAD_HIDDEN = "thread_hidden"
    THREAD_UNHIDDEN = "thread_unhidden"
    USER_SUSPENDED = "user_suspended"
    USER_UNSUSPENDED = "user_unsuspended"
    REPLY = "reply"  # a reply in a thread the member follows
    NEW_THREAD = "new_thread"  # a new thread in a theme the member follows
    MENTION = "mention"
    VERIFICATION_APPROVED = "verification_approved"
    VERIFICATION_REJECTED = "verification_rejected"
    CONCLUSION_ADDED = "conclusion_added"  # the secretariat's まとめ on the member's thread
    PROPOSAL_REVIEW_REQUESTED = "proposal_review_requested"  # 意見照会: the member is a named reviewer
    PROPOSAL_REVIEW_REMINDER = "proposal_review_reminder"  # the review deadline is near, no answer yet


class Notification(db.Model):
    """An in-app notification. The text is built when shown; the thread title is a snapshot."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[NotificationKind] = mapped_column(str_enum(NotificationKind, length=48))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"))  # a 提言 to review
    thread_title: Mapped[str] = mapped_column(String(200), default="")  # (or the proposal's title)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When it went out by e-mail (at once or in a digest); never mailed twice.
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    thread: Mapped[Thread | None] = relationship()
    post: Mapped[Post | None] = relationship()


class Follow(db.Model):
    """A member follows a thread (replies) or a theme (new threads). Unfollowing keeps the row, switched off,
    so that replying again does not follow the thread behind the member's back."""

    __tablename__ = "follows"
    __table_args__ = (
        Index("uq_follows_thread", "user_id", "thread_id", unique=True),
        Index("uq_follows_theme", "user_id", "theme_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id"), index=True)
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    thread: Mapped[Thread | None] = relationship()
    theme: Mapped[Theme | None] = relationship()


class Delivery(str, enum.Enum):
    IMMEDIATELY = "immediately"
    DAILY = "daily"
    WEEKLY = "weekly"
    NEVER = "never"


class NotificationPreference(db.Model):
    """How a member wants one group of events by e-mail; missing rows mean the defaults."""

    __tablename__ = "notification_preferences"
    __table_args__ = (Index("uq_notification_preferences", "user_id", "topic", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    topic: Mapped[str] = mapped_column(String(32))
    delivery: Mapped[Delivery] = mapped_column(str_enum(Delivery))

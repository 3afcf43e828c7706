"""The council's site around the board: its settings (contact details), pages, news and their versions."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .board import Thread
from .types import UTCDateTime, str_enum, utcnow


class SiteSettings(db.Model):
    """The one row of settings the secretariat edits: the statement on the home page and the contact details
    shown at the foot of every page and every mail. Empty contact fields fall back to the configuration."""

    __tablename__ = "site_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement: Mapped[str] = mapped_column(Text, default="")
    postal_code: Mapped[str] = mapped_column(String(16), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    fax: Mapped[str] = mapped_column(String(32), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    office_hours: Mapped[str] = mapped_column(String(200), default="")
    version_count: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __str__(self) -> str:
        return "sitesettings"  # the audit log shows its target type's name (there is only one row)


class SitePage(db.Model):
    """A page the secretariat writes (about, join, contact, privacy, terms, accessibility), in Markdown."""

    __tablename__ = "site_pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body_source: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    version_count: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __str__(self) -> str:
        return self.title


class NewsCategory(str, enum.Enum):
    NOTICE = "notice"  # お知らせ
    EVENT = "event"  # イベント
    CALL = "call"  # 募集
    PUBLICATION = "publication"  # 資料公開
    PRESS = "press"  # 報道発表

    @property
    def label(self) -> str:
        return str(NEWS_CATEGORY_LABELS[self])


NEWS_CATEGORY_LABELS = {
    NewsCategory.NOTICE: _l("Notice"),
    NewsCategory.EVENT: _l("Event"),
    NewsCategory.CALL: _l("Call"),
    NewsCategory.PUBLICATION: _l("Documents published"),
    NewsCategory.PRESS: _l("Press release"),
}


class NewsStatus(str, enum.Enum):
    """Where an entry stands. A published entry is shown from its publish_at on (before: scheduled);
    an unpublished one is kept, with every version, and can be published again. Nothing is deleted."""

    DRAFT = "draft"
    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"


class NewsEntry(db.Model):
    """An お知らせ (更新情報): dated, in a category, perhaps pinned, perhaps linking to a thread or a page."""

    __tablename__ = "news_entries"
    __table_args__ = (Index("ix_news_entries_status_publish_at", "status", "publish_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[NewsCategory] = mapped_column(str_enum(NewsCategory), default=NewsCategory.NOTICE)
    body_source: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[NewsStatus] = mapped_column(str_enum(NewsStatus), default=NewsStatus.DRAFT)
    # When it appears (UTC; chosen in Japan time). Set for published and unpublished entries.
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_pinned: Mapped[bool] = mapped_column(default=False)
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="SET NULL"))
    link_url: Mapped[str] = mapped_column(String(2000), default="")
    link_title: Mapped[str] = mapped_column(String(200), default="")
    version_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    thread: Mapped[Thread | None] = relationship()
    author: Mapped[User | None] = relationship()

    def is_public_at(self, moment: datetime) -> bool:
        return self.status == NewsStatus.PUBLISHED and self.publish_at is not None and self.publish_at <= moment

    def __str__(self) -> str:
        return self.title


class SiteVersion(db.Model):
    """One version of a page, a news entry, a document or the settings: every field as it was after a change,
    who made it and when. The history page compares consecutive versions."""

    __tablename__ = "site_versions"
    __table_args__ = (UniqueConstraint("kind", "object_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # page, news, document, settings
    object_id: Mapped[int]
    number: Mapped[int]
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    editor_label: Mapped[str] = mapped_column(String(300), default="")  # snapshot: survives the account
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    editor: Mapped[User | None] = relationship()

"""The board: themes, threads, posts and their revisions."""
from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, and_
from sqlalchemy.orm import Mapped, foreign, mapped_column, query_expression, relationship

from ..extensions import db
from .accounts import Role, User, format_affiliation
from .files import StoredFile
from .types import UTCDateTime, str_enum, utcnow


class Visibility(str, enum.Enum):
    """Who sees a post or a thread. Nothing is ever deleted: only this changes."""

    VISIBLE = "visible"
    PENDING = "pending"  # awaiting approval: the author and moderators only
    HIDDEN = "hidden"  # hidden by a moderator: the public sees a placeholder with the reason
    REJECTED = "rejected"  # not approved: the author and moderators only


class Outcome(str, enum.Enum):
    """Where a thread stands, set by the secretariat (for meeting summaries)."""

    UNDER_DISCUSSION = "under_discussion"  # 検討中
    RESOLVED = "resolved"  # 解決済み
    REFLECTED = "reflected"  # 提言に反映
    CONTINUED = "continued"  # 継続審議

    @property
    def label(self) -> str:
        return str(OUTCOME_LABELS[self])


OUTCOME_LABELS = {
    Outcome.UNDER_DISCUSSION: _l("Under discussion"),
    Outcome.RESOLVED: _l("Resolved"),
    Outcome.REFLECTED: _l("Reflected in a proposal"),
    Outcome.CONTINUED: _l("Continued"),
}


class Theme(db.Model):
    __tablename__ = "themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name_ja: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description_ja: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    # Kept by SQL expressions in the services (never read-modify-write in Python).
    thread_count: Mapped[int] = mapped_column(default=0)
    post_count: Mapped[int] = mapped_column(default=0)
    last_posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    threads: Mapped[list[Thread]] = relationship(back_populates="theme")

    def _localised(self, ja: str, en: str) -> str:
        locale = get_locale()
        return en if locale is not None and locale.language == "en" and en else ja

    @property
    def name(self) -> str:
        return self._localised(self.name_ja, self.name_en)

    @property
    def description(self) -> str:
        return self._localised(self.description_ja, self.description_en)


class Thread(db.Model):
    __tablename__ = "threads"
    __table_args__ = (Index("ix_threads_theme_listing", "theme_id", "is_pinned", "last_posted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_posted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    post_count: Mapped[int] = mapped_column(default=0)  # visible posts, the opening post included
    # Positions handed out so far (pending, hidden and moved-away posts keep theirs: pages never shift).
    last_position: Mapped[int] = mapped_column(default=0)
    is_pinned: Mapped[bool] = mapped_column(default=False)
    is_locked: Mapped[bool] = mapped_column(default=False)
    is_closed: Mapped[bool] = mapped_column(default=False)  # クローズ (解決済み): no new replies
    status: Mapped[Visibility] = mapped_column(str_enum(Visibility), default=Visibility.VISIBLE, index=True)
    moderation_reason: Mapped[str | None] = mapped_column(Text)
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    outcome: Mapped[Outcome] = mapped_column(str_enum(Outcome), default=Outcome.UNDER_DISCUSSION)
    conclusion_count: Mapped[int] = mapped_column(default=0)  # versions of the まとめ so far
    # Whether the viewer follows it, loaded with the thread for the thread page (no extra query).
    followed_by_viewer: Mapped[bool | None] = query_expression()

    theme: Mapped[Theme] = relationship(back_populates="threads")
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    posts: Mapped[list[Post]] = relationship(back_populates="thread", order_by="Post.position")
    conclusions: Mapped[list[ThreadConclusion]] = relationship(
        back_populates="thread", order_by="ThreadConclusion.number")
    opening_post: Mapped[Post | None] = relationship(
        primaryjoin=lambda: and_(foreign(Post.thread_id) == Thread.id, Post.position == 1),
        viewonly=True,
        uselist=False,
    )

    @property
    def reply_count(self) -> int:
        return max(self.post_count - 1, 0)

    @property
    def is_visible(self) -> bool:
        return self.status == Visibility.VISIBLE

    @property
    def accepts_replies(self) -> bool:
        return self.is_visible and not self.is_locked and not self.is_closed


class Post(db.Model):
    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("thread_id", "position"),
        # A resubmitted form (double click, reload) carries the same key and creates nothing new.
        UniqueConstraint("author_id", "idempotency_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"))
    position: Mapped[int]  # 1 = the opening post
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Who said it, as they were when they said it (titles change after elections).
    author_role: Mapped[Role] = mapped_column(str_enum(Role))
    author_organisation: Mapped[str] = mapped_column(String(200), default="")
    author_title: Mapped[str] = mapped_column(String(100), default="")
    author_prefecture: Mapped[str] = mapped_column(String(8), default="")  # for the search filter
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)  # the board feed
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[Visibility] = mapped_column(str_enum(Visibility), default=Visibility.VISIBLE, index=True)
    moderation_reason: Mapped[str | None] = mapped_column(Text)  # why hidden, rejected or held
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # 論点: marked by the secretariat for the summaries.
    is_key_point: Mapped[bool] = mapped_column(default=False)
    helpful_count: Mapped[int] = mapped_column(default=0)  # 「参考になった」, kept by SQL expressions
    # Whether the viewer marked it helpful, loaded with the thread page's posts (no extra query).
    marked_by_viewer: Mapped[bool | None] = query_expression()

    thread: Mapped[Thread] = relationship(back_populates="posts")
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    revisions: Mapped[list[PostRevision]] = relationship(
        back_populates="post", order_by="PostRevision.number"
    )
    # Every file ever attached, those removed by an edit included (kept for the history).
    files: Mapped[list[StoredFile]] = relationship(
        back_populates="post", order_by="(StoredFile.position, StoredFile.id)")

    @property
    def attachments(self) -> list[StoredFile]:
        """The files attached now, in order."""
        return [file for file in self.files if file.removed_at is None]

    @property
    def author_affiliation(self) -> str:
        return format_affiliation(self.author_organisation, self.author_title)

    @property
    def anchor(self) -> str:
        return f"post-{self.id}"

    @property
    def is_visible(self) -> bool:
        return self.status == Visibility.VISIBLE

    @property
    def is_public(self) -> bool:
        """Counted and searchable: visible, in a visible thread."""
        return self.status == Visibility.VISIBLE and self.thread.status == Visibility.VISIBLE


class PostRevision(db.Model):
    """One version of a post: number 1 is the original, each edit adds the next."""

    __tablename__ = "post_revisions"
    __table_args__ = (UniqueConstraint("post_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    number: Mapped[int]
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str | None] = mapped_column(String(200))  # the thread title, for opening posts
    body_source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    is_moderator_edit: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str | None] = mapped_column(Text)  # a moderator's edit always has one
    # The files this version had: [{"id": 12, "name": "計画書.pdf", "size": 1234, "type": "application/pdf"}].
    files: Mapped[list | None] = mapped_column(JSON)

    post: Mapped[Post] = relationship(back_populates="revisions")
    editor: Mapped[User | None] = relationship()


class ThreadConclusion(db.Model):
    """One version of a thread's まとめ, written by the secretariat; every version is kept."""

    __tablename__ = "thread_conclusions"
    __table_args__ = (UniqueConstraint("thread_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"), index=True)
    number: Mapped[int]
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    thread: Mapped[Thread] = relationship(back_populates="conclusions")
    author: Mapped[User | None] = relationship()


class HelpfulMark(db.Model):
    """A member found a post helpful (「参考になった」): one per member per post."""

    __tablename__ = "helpful_marks"
    __table_args__ = (UniqueConstraint("post_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""Uploaded files: each content stored once (by its SHA-256), and each upload of it with its name, its
uploader and where it is used (a post, a verification request, or pending for the form it came with)."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..filenames import display_name as clean_file_name
from .accounts import User
from .types import UTCDateTime, str_enum, utcnow

if TYPE_CHECKING:
    from .board import Post


class FileUse(str, enum.Enum):
    """Where an uploaded file is used."""

    PENDING = "pending"  # sent with a form that was refused: kept 24 hours for the next try
    POST = "post"  # attached to a post
    EVIDENCE = "evidence"  # a verification request's evidence (the secretariat only)


class TextState(str, enum.Enum):
    """What search could read of a content."""

    WAITING = "waiting"  # not read yet (the search outbox's drain reads it)
    READ = "read"  # its text is in `text`
    NO_TEXT = "no_text"  # a type without text to read (images)
    UNREADABLE = "unreadable"  # damaged, encrypted, or a scan without a text layer: attached, not searchable


class FileContent(db.Model):
    """One stored content, named by its SHA-256 under EDUCUSSION_FILES_DIR: the same file uploaded twice is
    stored (and read by search) once."""

    __tablename__ = "file_contents"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(100))  # detected from the content, never the name
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    text_state: Mapped[TextState] = mapped_column(str_enum(TextState), default=TextState.WAITING, index=True)
    # What search reads, pages separated by form feeds (loaded only when asked for: pages list files by the dozen).
    text: Mapped[str | None] = mapped_column(Text, deferred=True, deferred_group="text")
    pages: Mapped[int | None]  # of a PDF or a presentation, for the figures of the benchmark
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The text as search's exact check compares it (search.indexing.match_forms), made once by the drain;
    # `search_form_version` names the text analysis it was made with (another one: made again when needed).
    search_form: Mapped[str | None] = mapped_column(Text, deferred=True, deferred_group="text")
    search_form_version: Mapped[str | None] = mapped_column(String(32))


class StoredFile(db.Model):
    """One upload: its name as the uploader gave it, who uploaded it and where it is used."""

    __tablename__ = "files"
    __table_args__ = (Index("ix_files_use_expires", "use", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("file_contents.sha256"), index=True)
    name: Mapped[str] = mapped_column(String(200))  # cleaned (filenames.display_name)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    use: Mapped[FileUse] = mapped_column(str_enum(FileUse))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"), index=True)
    verification_request_id: Mapped[int | None] = mapped_column(ForeignKey("verification_requests.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)  # the order under the post
    # Taken off its post by an edit: kept for the post's history (never deleted by editing or hiding).
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # pending uploads only

    content: Mapped[FileContent] = relationship(lazy="joined")
    uploaded_by: Mapped[User | None] = relationship()
    post: Mapped[Post | None] = relationship(back_populates="files")

    def __str__(self) -> str:  # the audit log's snapshot of the target
        return self.name

    @property
    def label(self) -> str:
        return clean_file_name(self.name)

    @property
    def is_image(self) -> bool:
        return self.content_type in ("image/png", "image/jpeg", "image/webp")

    @property
    def is_attached(self) -> bool:
        return self.use == FileUse.POST and self.removed_at is None

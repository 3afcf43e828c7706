"""Verification requests (a member asks) and invitations (the secretariat asks)."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..filenames import display_name as clean_file_name
from .accounts import Organisation, OrganisationKind, Role, User
from .files import StoredFile
from .types import UTCDateTime, str_enum, utcnow


class RequestStatus(str, enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class VerificationRequest(db.Model):
    __tablename__ = "verification_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[RequestStatus] = mapped_column(str_enum(RequestStatus), default=RequestStatus.PENDING, index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role))
    # A municipality from the list, or an organisation typed by the member (company, university, …).
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    organisation_name: Mapped[str] = mapped_column(String(200), default="")
    organisation_kind: Mapped[OrganisationKind] = mapped_column(str_enum(OrganisationKind))
    corporate_number: Mapped[str | None] = mapped_column(String(13))
    title: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision_reason: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    organisation: Mapped[Organisation | None] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    # The evidence, in the one file store (files.use = evidence).
    evidence_file: Mapped[StoredFile | None] = relationship(
        primaryjoin="StoredFile.verification_request_id == VerificationRequest.id", viewonly=True, uselist=False)

    @property
    def evidence_name(self) -> str | None:
        return self.evidence_file.name if self.evidence_file else None

    @property
    def evidence_type(self) -> str | None:
        return self.evidence_file.content_type if self.evidence_file else None

    @property
    def evidence_size(self) -> int | None:
        return self.evidence_file.size if self.evidence_file else None

    @property
    def evidence_label(self) -> str:
        """The member's name for the evidence file, safe to show (no bidi overrides or control characters)."""
        return clean_file_name(self.evidence_name)

    @property
    def organisation_label(self) -> str:
        return self.organisation.display_name if self.organisation else self.organisation_name


class Invitation(db.Model):
    """A single-use, expiring invitation with the role, organisation and title already set."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[Role] = mapped_column(str_enum(Role))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    title: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the token in the link
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

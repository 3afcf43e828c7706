"""提言 (policy proposals) drafted from the discussions, their review (意見照会) and versions; the 総会 agenda."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Column, Date, ForeignKey, Integer, String, Table, Text, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..extensions import db
from .accounts import Role, User
from .board import Post, Theme, Thread
from .types import UTCDateTime, str_enum, utcnow


class ProposalStatus(str, enum.Enum):
    DRAFT = "draft"  # 下書き
    IN_REVIEW = "in_review"  # 意見照会中
    APPROVED = "approved"  # 承認済み
    SUBMITTED = "submitted"  # 提出済み

    @property
    def label(self) -> str:
        return str(PROPOSAL_STATUS_LABELS[self])


PROPOSAL_STATUS_LABELS = {
    ProposalStatus.DRAFT: _l("Draft"),
    ProposalStatus.IN_REVIEW: _l("In review"),
    ProposalStatus.APPROVED: _l("Approved"),
    ProposalStatus.SUBMITTED: _l("Submitted"),
}


class Section(str, enum.Enum):
    """The four parts of a 提言, in this order."""

    ISSUE = "issue"  # 課題
    CURRENT = "current"  # 現状
    PROPOSAL = "proposal"  # 提言内容
    REFERENCE = "reference"  # 参考

    @property
    def label(self) -> str:
        return str(SECTION_LABELS[self])


SECTION_LABELS = {
    Section.ISSUE: _l("Issues"),
    Section.CURRENT: _l("Current situation"),
    Section.PROPOSAL: _l("Proposed measures"),
    Section.REFERENCE: _l("References"),
}
SECTION_ORDER = list(Section)


class ReviewAnswer(str, enum.Enum):
    AGREE = "agree"  # 賛成
    CHANGES = "changes"  # 修正意見あり

    @property
    def label(self) -> str:
        return str(REVIEW_ANSWER_LABELS[self])


REVIEW_ANSWER_LABELS = {ReviewAnswer.AGREE: _l("Agree"), ReviewAnswer.CHANGES: _l("Has suggested changes")}


class RewordingStatus(str, enum.Enum):
    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


proposal_themes = Table(
    "proposal_themes", db.metadata,
    Column("proposal_id", Integer, ForeignKey("proposals.id"), primary_key=True),
    Column("theme_id", Integer, ForeignKey("themes.id"), primary_key=True),
)


class Proposal(db.Model):
    """A 提言: its working copy is made of paragraphs; every change writes a ProposalVersion. An approved
    version is frozen and stays what members read, even while a new draft is being written."""

    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(index=True)  # 2025 = 令和7年度
    title: Mapped[str] = mapped_column(String(200))
    addressee: Mapped[str] = mapped_column(String(200), default="")  # 文部科学大臣 殿, デジタル庁 …
    status: Mapped[ProposalStatus] = mapped_column(str_enum(ProposalStatus), default=ProposalStatus.DRAFT,
                                                   index=True)
    version_count: Mapped[int] = mapped_column(default=0)
    review_round: Mapped[int] = mapped_column(default=0)  # 意見照会 sent so far
    review_deadline: Mapped[date | None] = mapped_column(Date)  # the last day (Japan time) for answers
    approved_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposal_versions.id", use_alter=True, ondelete="SET NULL"))
    submitted_on: Mapped[date | None] = mapped_column(Date)  # 提出日, as the secretariat records it
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    themes: Mapped[list[Theme]] = relationship(secondary=proposal_themes, order_by="Theme.position")
    paragraphs: Mapped[list[ProposalParagraph]] = relationship(
        back_populates="proposal", order_by="ProposalParagraph.position",
        primaryjoin="and_(ProposalParagraph.proposal_id == Proposal.id, ProposalParagraph.removed_at.is_(None))",
        viewonly=True)
    reviewers: Mapped[list[ProposalReviewer]] = relationship(back_populates="proposal",
                                                             order_by="ProposalReviewer.id")
    approved_version: Mapped[ProposalVersion | None] = relationship(foreign_keys=[approved_version_id],
                                                                    post_update=True)
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    def __str__(self) -> str:  # the audit log's label
        return self.title


class ProposalParagraph(db.Model):
    """One paragraph of the working copy, in a section; removed paragraphs stay (their comments too)."""

    __tablename__ = "proposal_paragraphs"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    section: Mapped[Section] = mapped_column(str_enum(Section))
    position: Mapped[int] = mapped_column(default=0)  # order within the whole proposal
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    proposal: Mapped[Proposal] = relationship(foreign_keys=[proposal_id])
    citations: Mapped[list[ProposalCitation]] = relationship(
        back_populates="paragraph", order_by="ProposalCitation.id",
        primaryjoin="and_(ProposalCitation.paragraph_id == ProposalParagraph.id, "
                    "ProposalCitation.removed_at.is_(None))", viewonly=True)

    def __str__(self) -> str:
        return f"{self.proposal.title} ¶{self.id}"


class ProposalCitation(db.Model):
    """A paragraph cites a post (or a whole thread). The author as the post stored them is copied here, so
    the citation stays true after elections, renames and moves; a post hidden later is flagged, never
    dropped."""

    __tablename__ = "proposal_citations"

    id: Mapped[int] = mapped_column(primary_key=True)
    paragraph_id: Mapped[int] = mapped_column(ForeignKey("proposal_paragraphs.id"), index=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"), index=True)
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id"), index=True)  # a thread citation
    author_name: Mapped[str] = mapped_column(String(100), default="")
    author_role: Mapped[Role | None] = mapped_column(str_enum(Role))
    author_organisation: Mapped[str] = mapped_column(String(200), default="")
    author_title: Mapped[str] = mapped_column(String(100), default="")
    written_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when the post (or thread) was written
    thread_title: Mapped[str] = mapped_column(String(200), default="")  # as it was when cited
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    paragraph: Mapped[ProposalParagraph] = relationship(foreign_keys=[paragraph_id])
    post: Mapped[Post | None] = relationship()
    thread: Mapped[Thread | None] = relationship()


class ProposalVersion(db.Model):
    """The whole proposal as it was after one change (title, addressee, paragraphs, citations). Never
    changed once written; `approved_at` marks the version the secretariat approved (frozen)."""

    __tablename__ = "proposal_versions"
    __table_args__ = (UniqueConstraint("proposal_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    number: Mapped[int]
    change: Mapped[str] = mapped_column(String(48))  # what made it: "paragraph_added", "rewording_accepted" …
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    proposal: Mapped[Proposal] = relationship(foreign_keys=[proposal_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])


class ProposalReviewer(db.Model):
    """A member asked for their opinion (意見照会) in one round, and their answer."""

    __tablename__ = "proposal_reviewers"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    round: Mapped[int] = mapped_column(default=1)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answer: Mapped[ReviewAnswer | None] = mapped_column(str_enum(ReviewAnswer))
    answer_note: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    proposal: Mapped[Proposal] = relationship(back_populates="reviewers", foreign_keys=[proposal_id])
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class ProposalComment(db.Model):
    """A reviewer's (or the secretariat's) comment on a paragraph, or on the whole proposal."""

    __tablename__ = "proposal_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    paragraph_id: Mapped[int | None] = mapped_column(ForeignKey("proposal_paragraphs.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    version_number: Mapped[int] = mapped_column(default=0)  # the version it was written on
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()


class ProposalRewording(db.Model):
    """A reviewer's proposed new wording of a paragraph (修正案); the secretariat accepts or rejects it."""

    __tablename__ = "proposal_rewordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    paragraph_id: Mapped[int] = mapped_column(ForeignKey("proposal_paragraphs.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    base_source: Mapped[str] = mapped_column(Text)  # the paragraph's text it was written against
    body_source: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[RewordingStatus] = mapped_column(str_enum(RewordingStatus), default=RewordingStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision_note: Mapped[str] = mapped_column(Text, default="")
    version_number: Mapped[int | None]  # the version that took it in

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    paragraph: Mapped[ProposalParagraph] = relationship()


class ProposalReflection(db.Model):
    """A thread cited by an approved proposal: its outcome became 「提言に反映」 and its page links here."""

    __tablename__ = "proposal_reflections"
    __table_args__ = (UniqueConstraint("proposal_id", "thread_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"), index=True)
    version_number: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    proposal: Mapped[Proposal] = relationship()


@event.listens_for(Session, "before_flush")
def _approved_text_is_frozen(session, _flush_context, _instances) -> None:
    """A version, once written, is never changed or removed (approving only stamps who and when)."""
    for instance in (*session.dirty, *session.deleted):
        if not isinstance(instance, ProposalVersion):
            continue
        if instance in session.deleted:
            raise RuntimeError("proposal versions are never deleted")
        state = inspect(instance)
        for name in ("snapshot", "number", "proposal_id", "change"):
            if state.attrs[name].history.has_changes():
                raise RuntimeError("a proposal version's text never changes")


# ---------------------------------------------------------------- 総会 (general meeting) and its agenda

class AgendaKind(str, enum.Enum):
    REPORT = "report"  # 報告事項
    DELIBERATION = "deliberation"  # 審議事項

    @property
    def label(self) -> str:
        return str(AGENDA_KIND_LABELS[self])


AGENDA_KIND_LABELS = {AgendaKind.REPORT: _l("Matters to report"),
                      AgendaKind.DELIBERATION: _l("Matters for deliberation")}


class AgendaResult(str, enum.Enum):
    APPROVED = "approved"  # 承認
    CONTINUED = "continued"  # 継続審議
    REJECTED = "rejected"  # 否決

    @property
    def label(self) -> str:
        return str(AGENDA_RESULT_LABELS[self])


AGENDA_RESULT_LABELS = {
    AgendaResult.APPROVED: _l("Passed"),
    AgendaResult.CONTINUED: _l("Continued"),
    AgendaResult.REJECTED: _l("Voted down"),
}


class GeneralMeeting(db.Model):
    """A 総会: its date, 年度 and agenda items (議案)."""

    __tablename__ = "general_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(String(200))  # 令和7年度 第1回総会
    held_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    items: Mapped[list[AgendaItem]] = relationship(back_populates="meeting", order_by="AgendaItem.position")

    def __str__(self) -> str:
        return self.title


class AgendaItem(db.Model):
    """One 議案: what it is about (linked proposals, threads, documents) and, after the meeting, its result."""

    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("general_meetings.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[AgendaKind] = mapped_column(str_enum(AgendaKind))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[AgendaResult | None] = mapped_column(str_enum(AgendaResult))
    result_note: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[GeneralMeeting] = relationship(back_populates="items")
    links: Mapped[list[AgendaLink]] = relationship(back_populates="item", order_by="AgendaLink.id")

    def __str__(self) -> str:
        return f"{self.meeting.title} {self.title}"


class AgendaLink(db.Model):
    """What an agenda item is about: a proposal, a thread, or a document (a title and its address)."""

    __tablename__ = "agenda_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("agenda_items.id"), index=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id"))
    document_title: Mapped[str] = mapped_column(String(200), default="")
    document_url: Mapped[str] = mapped_column(String(500), default="")

    item: Mapped[AgendaItem] = relationship(back_populates="links")
    proposal: Mapped[Proposal | None] = relationship()
    thread: Mapped[Thread | None] = relationship()

"""The append-only audit log."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..extensions import db
from .types import UTCDateTime, str_enum, utcnow


class AuditAction(str, enum.Enum):
    USER_REGISTERED = "user.registered"
    USER_ROLE_SET = "user.role_set"
    USER_PROFILE_UPDATED = "user.profile_updated"
    USER_PASSWORD_CHANGED = "user.password_changed"
    USER_PASSWORD_RESET = "user.password_reset"
    USER_EMAIL_CONFIRMED = "user.email_confirmed"
    USER_LOGGED_OUT_EVERYWHERE = "user.logged_out_everywhere"
    USER_LOGIN_UNLOCKED = "user.login_unlocked"
    VERIFICATION_REQUESTED = "verification.requested"
    VERIFICATION_APPROVED = "verification.approved"
    VERIFICATION_REJECTED = "verification.rejected"
    VERIFICATION_ENDED = "verification.ended"
    INVITATION_CREATED = "invitation.created"
    INVITATION_ACCEPTED = "invitation.accepted"
    MUNICIPALITIES_LOADED = "organisations.municipalities_loaded"
    THREAD_CREATED = "thread.created"
    FILE_ERASED = "file.erased"
    POST_CREATED = "post.created"
    POST_EDITED = "post.edited"
    POST_EDITED_BY_MODERATOR = "post.moderator_edited"
    POST_REPORTED = "post.reported"
    REPORT_CHANGED = "post.report_changed"
    REPORT_WITHDRAWN = "post.report_withdrawn"
    REPORTS_DISMISSED = "post.reports_dismissed"
    POST_HIDDEN = "post.hidden"
    POST_AUTO_HIDDEN = "post.auto_hidden"
    POST_UNHIDDEN = "post.unhidden"
    POST_APPROVED = "post.approved"
    POST_REJECTED = "post.rejected"
    POSTS_MOVED = "post.moved"
    THREAD_LOCKED = "thread.locked"
    THREAD_UNLOCKED = "thread.unlocked"
    THREAD_PINNED = "thread.pinned"
    THREAD_UNPINNED = "thread.unpinned"
    THREAD_CLOSED = "thread.closed"
    THREAD_REOPENED = "thread.reopened"
    THREAD_MOVED = "thread.moved"
    THREAD_HIDDEN = "thread.hidden"
    THREAD_UNHIDDEN = "thread.unhidden"
    THEME_MODERATOR_GRANTED = "moderator.granted"
    THEME_MODERATOR_REVOKED = "moderator.revoked"
    USER_SUSPENDED = "user.suspended"
    USER_UNSUSPENDED = "user.unsuspended"
    MODERATION_SETTINGS_CHANGED = "moderation.settings_changed"
    WATCHED_WORD_ADDED = "moderation.watched_word_added"
    WATCHED_WORD_REMOVED = "moderation.watched_word_removed"
    AUDIT_LOG_EXPORTED = "audit.exported"
    CONCLUSION_WRITTEN = "thread.conclusion_written"
    THREAD_OUTCOME_SET = "thread.outcome_set"
    KEY_POINT_MARKED = "post.key_point_marked"
    KEY_POINT_UNMARKED = "post.key_point_unmarked"
    SUMMARY_EXPORTED = "export.summary"
    RETENTION_PURGED = "maintenance.purged"
    TWO_STEP_ENABLED = "user.two_step_enabled"
    TWO_STEP_DISABLED = "user.two_step_disabled"
    TWO_STEP_RECOVERY_CODE_USED = "user.two_step_recovery_code_used"
    TWO_STEP_RESET = "user.two_step_reset"
    SITE_SETTINGS_CHANGED = "site.settings_changed"
    SITE_PAGE_EDITED = "site.page_edited"
    NEWS_CREATED = "site.news_created"
    NEWS_EDITED = "site.news_edited"
    NEWS_PUBLISHED = "site.news_published"
    NEWS_UNPUBLISHED = "site.news_unpublished"
    NEWS_PINNED = "site.news_pinned"
    NEWS_UNPINNED = "site.news_unpinned"
    PROPOSAL_CREATED = "proposal.created"
    PROPOSAL_DETAILS_CHANGED = "proposal.details_changed"
    PROPOSAL_PARAGRAPH_ADDED = "proposal.paragraph_added"
    PROPOSAL_PARAGRAPH_EDITED = "proposal.paragraph_edited"
    PROPOSAL_PARAGRAPH_REMOVED = "proposal.paragraph_removed"
    PROPOSAL_PARAGRAPH_MOVED = "proposal.paragraph_moved"
    PROPOSAL_CITATION_ADDED = "proposal.citation_added"
    PROPOSAL_CITATION_REMOVED = "proposal.citation_removed"
    PROPOSAL_REVIEW_STARTED = "proposal.review_started"
    PROPOSAL_REVIEW_ENDED = "proposal.review_ended"
    PROPOSAL_COMMENTED = "proposal.commented"
    PROPOSAL_REWORDING_PROPOSED = "proposal.rewording_proposed"
    PROPOSAL_REWORDING_ACCEPTED = "proposal.rewording_accepted"
    PROPOSAL_REWORDING_REJECTED = "proposal.rewording_rejected"
    PROPOSAL_REVIEW_ANSWERED = "proposal.review_answered"
    PROPOSAL_REVIEW_REMINDED = "proposal.review_reminded"
    PROPOSAL_APPROVED = "proposal.approved"
    PROPOSAL_SUBMITTED = "proposal.submitted"
    MEETING_CREATED = "meeting.created"
    MEETING_ITEM_ADDED = "meeting.item_added"
    MEETING_RESULT_RECORDED = "meeting.result_recorded"
    MEETING_CARRIED_OVER = "meeting.carried_over"


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor_label: Mapped[str] = mapped_column(String(300), default="")  # snapshot: survives the account
    action: Mapped[AuditAction] = mapped_column(str_enum(AuditAction, length=64), index=True)
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[int | None]
    target_label: Mapped[str] = mapped_column(String(300), default="")
    summary: Mapped[str] = mapped_column(Text, default="")  # free text: entries written before `params`
    reason: Mapped[str | None] = mapped_column(Text)
    # The facts of the action as data ({"version": 2}, {"reason": "spam"}); the summary is rendered from them
    # in the reader's language (auditlog.labels.summary_text). NULL for entries written before.
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)


@event.listens_for(Session, "before_flush")
def _audit_entries_are_append_only(session, _flush_context, _instances) -> None:
    """The log answers for what was done: an entry, once written, is never changed or removed."""
    for instance in (*session.dirty, *session.deleted):
        if isinstance(instance, AuditEntry) and (instance in session.deleted or session.is_modified(instance)):
            raise RuntimeError("audit entries are append-only")

"""All models, importable from one place."""
from .accounts import (
    ORGANISATION_KIND_LABELS,
    ROLE_LABELS,
    Organisation,
    OrganisationKind,
    Role,
    User,
    Verification,
    format_affiliation,
    new_session_token,
)
from .audit import AuditAction, AuditEntry
from .drafts import Draft, DraftKind
from .files import FileContent, FileUse, StoredFile, TextState
from .board import (OUTCOME_LABELS, HelpfulMark, Outcome, Post, PostRevision, Theme, Thread, ThreadConclusion,
                    Visibility)
from .mail import OutgoingMail
from .moderation import (
    REPORT_REASON_LABELS,
    Delivery,
    Follow,
    ModerationSettings,
    NotificationPreference,
    Notification,
    NotificationKind,
    Report,
    ReportReason,
    ReportStatus,
    Suspension,
    ThemeModerator,
    WatchedWord,
    WatchedWordAction,
)
from .search import SearchLog, SearchOutbox
from .security import LoginSession, LoginThrottle
from .twostep import RecoveryCode, TwoStepSetting
from .types import utcnow
from .verification import Invitation, RequestStatus, VerificationRequest

__all__ = [
    "ORGANISATION_KIND_LABELS",
    "ROLE_LABELS",
    "OUTCOME_LABELS",
    "HelpfulMark",
    "Outcome",
    "ThreadConclusion",
    "REPORT_REASON_LABELS",
    "Delivery",
    "Draft",
    "FileContent",
    "FileUse",
    "StoredFile",
    "TextState",
    "DraftKind",
    "Follow",
    "ModerationSettings",
    "NotificationPreference",
    "Notification",
    "NotificationKind",
    "Report",
    "ReportReason",
    "ReportStatus",
    "Suspension",
    "ThemeModerator",
    "Visibility",
    "WatchedWord",
    "WatchedWordAction",
    "Invitation",
    "LoginSession",
    "LoginThrottle",
    "OrganisationKind",
    "OutgoingMail",
    "RequestStatus",
    "SearchLog",
    "SearchOutbox",
    "Verification",
    "VerificationRequest",
    "AuditAction",
    "AuditEntry",
    "Organisation",
    "Post",
    "PostRevision",
    "Role",
    "Theme",
    "Thread",
    "User",
    "format_affiliation",
    "RecoveryCode",
    "TwoStepSetting",
    "new_session_token",
    "utcnow",
]

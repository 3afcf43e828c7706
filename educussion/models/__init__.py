"""All models, importable from one place."""
from .accounts import ROLE_LABELS, Organisation, Role, User, format_affiliation, new_session_token
from .audit import AuditAction, AuditEntry
from .board import Post, PostRevision, Theme, Thread
from .types import utcnow

__all__ = [
    "ROLE_LABELS",
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
    "new_session_token",
    "utcnow",
]

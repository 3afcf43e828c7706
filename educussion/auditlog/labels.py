"""Human names for audit actions, their groups and the kinds of targets (translated where shown)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..models import AuditAction

ACTION_LABELS = {
    AuditAction.USER_REGISTERED: _l("Account registered"),
    AuditAction.USER_ROLE_SET: _l("Role set"),
    AuditAction.USER_PROFILE_UPDATED: _l("Profile updated"),
    AuditAction.USER_PASSWORD_CHANGED: _l("Password changed"),
    AuditAction.USER_PASSWORD_RESET: _l("Password reset"),
    AuditAction.USER_EMAIL_CONFIRMED: _l("E-mail address confirmed"),
    AuditAction.USER_LOGGED_OUT_EVERYWHERE: _l("Logged out on every device"),
    AuditAction.USER_LOGIN_UNLOCKED: _l("Log-in unlocked by a mailed link"),
    AuditAction.VERIFICATION_REQUESTED: _l("Verification requested"),
    AuditAction.VERIFICATION_APPROVED: _l("Verification approved"),
    AuditAction.VERIFICATION_REJECTED: _l("Verification rejected"),
    AuditAction.VERIFICATION_ENDED: _l("Verification ended"),
    AuditAction.INVITATION_CREATED: _l("Invitation sent"),
    AuditAction.INVITATION_ACCEPTED: _l("Invitation accepted"),
    AuditAction.MUNICIPALITIES_LOADED: _l("Municipality list loaded"),
    AuditAction.THREAD_CREATED: _l("Thread created"),
    AuditAction.POST_CREATED: _l("Reply posted"),
    AuditAction.POST_EDITED: _l("Post edited"),
    AuditAction.POST_EDITED_BY_MODERATOR: _l("Post edited by a moderator"),
    AuditAction.POST_REPORTED: _l("Post reported"),
    AuditAction.REPORTS_DISMISSED: _l("Reports dismissed"),
    AuditAction.POST_HIDDEN: _l("Post hidden"),
    AuditAction.POST_AUTO_HIDDEN: _l("Post hidden automatically"),
    AuditAction.POST_UNHIDDEN: _l("Post unhidden"),
    AuditAction.POST_APPROVED: _l("Post approved"),
    AuditAction.POST_REJECTED: _l("Post rejected"),
    AuditAction.POSTS_MOVED: _l("Posts moved"),
    AuditAction.THREAD_LOCKED: _l("Thread locked"),
    AuditAction.THREAD_UNLOCKED: _l("Thread unlocked"),
    AuditAction.THREAD_PINNED: _l("Thread pinned"),
    AuditAction.THREAD_UNPINNED: _l("Thread unpinned"),
    AuditAction.THREAD_CLOSED: _l("Thread closed"),
    AuditAction.THREAD_REOPENED: _l("Thread reopened"),
    AuditAction.THREAD_MOVED: _l("Thread moved"),
    AuditAction.THREAD_HIDDEN: _l("Thread hidden"),
    AuditAction.THREAD_UNHIDDEN: _l("Thread unhidden"),
    AuditAction.THEME_MODERATOR_GRANTED: _l("Theme moderator appointed"),
    AuditAction.THEME_MODERATOR_REVOKED: _l("Theme moderator removed"),
    AuditAction.USER_SUSPENDED: _l("Account suspended"),
    AuditAction.USER_UNSUSPENDED: _l("Suspension lifted"),
    AuditAction.MODERATION_SETTINGS_CHANGED: _l("Moderation settings changed"),
    AuditAction.WATCHED_WORD_ADDED: _l("Watched word added"),
    AuditAction.WATCHED_WORD_REMOVED: _l("Watched word removed"),
    AuditAction.AUDIT_LOG_EXPORTED: _l("Audit log exported"),
    AuditAction.CONCLUSION_WRITTEN: _l("Conclusion written"),
    AuditAction.THREAD_OUTCOME_SET: _l("Thread outcome set"),
    AuditAction.KEY_POINT_MARKED: _l("Key point marked"),
    AuditAction.KEY_POINT_UNMARKED: _l("Key point removed"),
    AuditAction.SUMMARY_EXPORTED: _l("Summary exported"),
    AuditAction.RETENTION_PURGED: _l("Old records deleted"),
    AuditAction.TWO_STEP_ENABLED: _l("Two-step verification set up"),
    AuditAction.TWO_STEP_DISABLED: _l("Two-step verification turned off"),
    AuditAction.TWO_STEP_RECOVERY_CODE_USED: _l("Recovery code used to log in"),
    AuditAction.TWO_STEP_RESET: _l("Two-step verification reset by the secretariat"),
}

# Actions are grouped by the prefix of their value ("post.hidden" → "post.").
GROUP_LABELS = {
    "user.": _l("Accounts"),
    "verification.": _l("Verification"),
    "invitation.": _l("Invitations"),
    "organisations.": _l("Organisations"),
    "thread.": _l("Threads"),
    "post.": _l("Posts"),
    "moderator.": _l("Theme moderators"),
    "moderation.": _l("Moderation settings and watched words"),
    "audit.": _l("Audit log"),
    "export.": _l("Summary exports"),
    "maintenance.": _l("Maintenance"),
}

# target_type is the model's class name in lower case, or the plain string the service named.
TARGET_TYPE_LABELS = {
    "user": _l("Account"),
    "thread": _l("Thread"),
    "post": _l("Post or reply"),
    "invitation": _l("Invitation"),
    "municipalities": _l("Municipality list"),
    "moderation settings": _l("Moderation settings"),
    "watched word": _l("Watched word"),
    "watchedword": _l("Watched word"),
    "audit log": _l("Audit log"),
    "summary": _l("Discussion summary"),
    "retention": _l("Records past their retention period"),
}


def group_of(action: AuditAction) -> str:
    return action.value.split(".", 1)[0] + "."


def actions_in_group(prefix: str) -> list[AuditAction]:
    return [action for action in AuditAction if group_of(action) == prefix]


def action_label(action: AuditAction | str) -> str:
    try:
        return str(ACTION_LABELS[AuditAction(action)])
    except (KeyError, ValueError):
        return str(action)


def target_type_label(target_type: str) -> str:
    label = TARGET_TYPE_LABELS.get(target_type)
    return str(label) if label is not None else target_type


def target_label(entry) -> str:
    """The target's snapshot; a target named by a plain string ("moderation settings") reads as its type."""
    if entry.target_label == entry.target_type:
        return target_type_label(entry.target_type)
    return entry.target_label

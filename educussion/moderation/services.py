"""Moderation actions. Each checks permission, takes a reason, changes rows (never deletes them), writes one
audit entry and tells the people concerned."""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from .. import audit
from ..board import counters
from ..board.services import clean_reason, clean_title
from ..database import unit_of_work
from ..errors import InvalidInput, PermissionDenied
from ..extensions import db
from ..limits import too_long_message
from ..models import (AuditAction, ModerationSettings, NotificationKind, Post, Report, ReportReason, ReportStatus,
                      Role, Suspension, Theme, ThemeModerator, Thread, User, Visibility, WatchedWord,
                      WatchedWordAction, utcnow)
from ..notifications import services as notifications
from ..notifications.services import notify
from ..permissions import can_manage_moderation, can_moderate, why_not_change_report, why_not_report
from ..search import indexing
from . import policy

MAX_DETAILS = 1000


def _require(allowed: bool, message: str | None = None) -> None:
    if not allowed:
        raise PermissionDenied(message or _("You do not have permission to do this."))


# ---------------------------------------------------------------- reports

def _report_input(reason: str | None, details: str | None) -> tuple[ReportReason, str]:
    """The reason a member chose (never a default) and their details, checked."""
    try:
        reason_value = ReportReason(reason)
    except ValueError:
        reason_value = None
    if reason_value is None or reason_value == ReportReason.WATCHED_WORD:
        raise InvalidInput("reason", _("Please choose a reason."))
    details = (details or "").strip()
    if reason_value == ReportReason.OTHER and not details:
        raise InvalidInput("details", _("Please describe the problem."))
    if len(details) > MAX_DETAILS:
        raise InvalidInput("details", _("Use at most %(count)d characters.", count=MAX_DETAILS))
    return reason_value, details


def report_post(post: Post, *, actor: User, reason: str, details: str = "") -> Report:
    """A member reports a post. One open report per member per post; at most REPORTS_PER_HOUR an hour."""
    refusal = why_not_report(actor, post)
    _require(refusal is None, refusal)
    reason_value, details = _report_input(reason, details)
    with unit_of_work():
        if _open_report(post, actor) is not None:
            raise InvalidInput("reason", _("You have already reported this post. The secretariat will review it."))
        since = utcnow() - timedelta(hours=1)
        recent = db.session.execute(select(func.count(Report.id)).where(
            Report.reporter_id == actor.id, Report.created_at > since)).scalar_one()
        if recent >= current_app.config["REPORTS_PER_HOUR"]:
            raise InvalidInput("reason", _("You have sent many reports in the last hour. Please try again later."))
        report = Report(post=post, reporter_id=actor.id, reason=reason_value, details=details, created_at=utcnow())
        db.session.add(report)
        audit.record(actor, AuditAction.POST_REPORTED, post, params={"reason": reason_value.value},
                     reason=details or None)
        notify(actor, NotificationKind.REPORT_RECEIVED, post=post)
        _maybe_auto_hide(post)
    return report


def _require_own_open_report(report: Report, actor: User) -> None:
    refusal = why_not_change_report(actor, report)
    _require(refusal is None, refusal)


def change_report(report: Report, *, actor: User, reason: str, details: str = "") -> Report:
    """The reporter corrects the reason or details of their open report (the change is audited)."""
    _require_own_open_report(report, actor)
    reason_value, details = _report_input(reason, details)
    with unit_of_work():
        _require_own_open_report(report, actor)  # again, on fresh data: a moderator may have just closed it
        previous = report.reason
        if previous == reason_value and report.details == details:
            return report
        report.reason, report.details = reason_value, details
        audit.record(actor, AuditAction.REPORT_CHANGED, report.post, reason=details or None,
                     params={"reason": reason_value.value, "previous_reason": previous.value})
    return report


def withdraw_report(report: Report, *, actor: User) -> Report:
    """The reporter withdraws their open report: it is settled as withdrawn (the row stays). A post that the
    reports hid automatically is shown again once no open report is left."""
    _require_own_open_report(report, actor)
    with unit_of_work():
        _require_own_open_report(report, actor)
        report.status, report.closed_at, report.closed_by_id = ReportStatus.WITHDRAWN, utcnow(), actor.id
        post = report.post
        audit.record(actor, AuditAction.REPORT_WITHDRAWN, post, params={"reason": report.reason.value})
        db.session.flush()
        left = db.session.execute(select(func.count(Report.id)).filter_by(
            post_id=post.id, status=ReportStatus.OPEN)).scalar_one()
        if left == 0 and _is_auto_hidden(post):
            reason = _("Shown again: every report on it was withdrawn.")
            _set_post_status(post, Visibility.VISIBLE, actor=None, reason=reason)
            audit.record(None, AuditAction.POST_UNHIDDEN, post, params={"reports_withdrawn": True})
            notify(post.author, NotificationKind.POST_UNHIDDEN, post=post, reason=reason)
    return report


def _open_report(post: Post, reporter: User) -> Report | None:
    return db.session.execute(select(Report).filter_by(
        post_id=post.id, reporter_id=reporter.id, status=ReportStatus.OPEN)).scalar()


def _maybe_auto_hide(post: Post) -> None:
    """Optional: N reports from distinct verified members hide a post until a moderator reviews it."""
    threshold = policy.current_settings().auto_hide_reports
    if threshold <= 0 or post.status != Visibility.VISIBLE:
        return
    reporters = db.session.execute(
        select(func.count(func.distinct(Report.reporter_id))).join(User, User.id == Report.reporter_id)
        .where(Report.post_id == post.id, Report.status == ReportStatus.OPEN, User.verified_at.is_not(None))
    ).scalar_one()
    if reporters < threshold:
        return
    reason = _("Hidden automatically after %(count)d reports, until the secretariat reviews it.", count=reporters)
    _set_post_status(post, Visibility.HIDDEN, actor=None, reason=reason)
    audit.record(None, AuditAction.POST_AUTO_HIDDEN, post, params={"reports": reporters})
    notify(post.author, NotificationKind.POST_HIDDEN, post=post, reason=reason)


def _close_reports(post: Post, status: ReportStatus, *, actor: User, reason: str) -> None:
    """Close the post's open reports and tell each reporter the outcome."""
    reports = db.session.execute(select(Report).filter_by(post_id=post.id, status=ReportStatus.OPEN)).scalars().all()
    now = utcnow()
    kind = NotificationKind.REPORT_UPHELD if status == ReportStatus.UPHELD else NotificationKind.REPORT_DISMISSED
    for report in reports:
        report.status, report.closed_at, report.closed_by_id, report.resolution = status, now, actor.id, reason
        if report.reporter is not None:
            notify(report.reporter, kind, post=post)


def _is_auto_hidden(post: Post) -> bool:
    """Hidden by the reports themselves (no moderator), until a moderator reviews it."""
    return post.status == Visibility.HIDDEN and post.moderated_by_id is None


def dismiss_reports(post: Post, *, actor: User, reason: str) -> int:
    """The post stays as it is (or, if the reports hid it automatically, is shown again); its open reports
    are closed. Returns how many were closed."""
    _require(can_moderate(actor, post))
    reason = clean_reason(reason)
    with unit_of_work():
        count = db.session.execute(select(func.count(Report.id)).filter_by(
            post_id=post.id, status=ReportStatus.OPEN)).scalar_one()
        if count == 0:
            raise InvalidInput(None, _("This post has no open reports."))
        _close_reports(post, ReportStatus.DISMISSED, actor=actor, reason=reason)
        shown_again = _is_auto_hidden(post)
        if shown_again:
            _set_post_status(post, Visibility.VISIBLE, actor=actor, reason=reason)
            if post.author_id != actor.id:
                notify(post.author, NotificationKind.POST_UNHIDDEN, post=post, reason=reason)
        audit.record(actor, AuditAction.REPORTS_DISMISSED, post, params={"count": count, "shown_again": shown_again},
                     reason=reason)
    return count


# ---------------------------------------------------------------- posts

def _set_post_status(post: Post, status: Visibility, *, actor: User | None, reason: str) -> None:
    """Change a post's visibility and the public counters with it (inside a write transaction)."""
    thread = counters.lock_thread(post.thread_id)
    was_visible = post.status == Visibility.VISIBLE
    post.status = status
    post.moderation_reason = reason
    post.moderated_at = utcnow()
    post.moderated_by_id = actor.id if actor is not None else None
    now_visible = status == Visibility.VISIBLE
    if was_visible != now_visible:
        counters.add_posts(thread, 1 if now_visible else -1, posted_at=post.created_at if now_visible else None)
    indexing.queue_post(post.id)


def _post_action(post: Post, *, actor: User, reason: str, expected: Visibility, new_status: Visibility,
                 action: AuditAction, kind: NotificationKind, wrong_state: str,
                 extra: Callable[[Post, str], None] | None = None, or_auto_hidden: bool = False) -> Post:
    _require(can_moderate(actor, post))
    reason = clean_reason(reason)
    with unit_of_work():
        if post.status != expected and not (or_auto_hidden and _is_auto_hidden(post)):
            raise InvalidInput(None, wrong_state)
        _set_post_status(post, new_status, actor=actor, reason=reason)
        if extra is not None:
            extra(post, reason)
        audit.record(actor, action, post, reason=reason)
        if post.author_id != actor.id:
            notify(post.author, kind, post=post, reason=reason)
    return post


def hide_post(post: Post, *, actor: User, reason: str) -> Post:
    """Hide a visible post: the public sees a placeholder with the reason; its open reports are upheld.
    A post the reports hid automatically is hidden for good the same way (the review upholds them)."""
    return _post_action(
        post, actor=actor, reason=reason, expected=Visibility.VISIBLE, new_status=Visibility.HIDDEN,
        action=AuditAction.POST_HIDDEN, kind=NotificationKind.POST_HIDDEN,
        wrong_state=_("Only a visible post can be hidden."),
        extra=lambda p, r: _close_reports(p, ReportStatus.UPHELD, actor=actor, reason=r), or_auto_hidden=True)


def unhide_post(post: Post, *, actor: User, reason: str) -> Post:
    """Show a hidden post again; reports still open on it (it was hidden automatically) are dismissed, or the
    next report would hide it again at once."""
    return _post_action(
        post, actor=actor, reason=reason, expected=Visibility.HIDDEN, new_status=Visibility.VISIBLE,
        action=AuditAction.POST_UNHIDDEN, kind=NotificationKind.POST_UNHIDDEN,
        wrong_state=_("This post is not hidden."),
        extra=lambda p, r: _close_reports(p, ReportStatus.DISMISSED, actor=actor, reason=r))


def _opening_follows(status: Visibility) -> Callable[[Post, str], None]:
    """An opening post that waits for approval holds its thread back with it."""
    def follow(post: Post, reason: str) -> None:
        if post.position == 1 and post.thread.status == Visibility.PENDING:
            counters.set_thread_status(post.thread, status)
            for other in post.thread.posts:
                indexing.queue_post(other.id)
    return follow


def approve_post(post: Post, *, actor: User, reason: str) -> Post:
    """Publish a held post; followers and mentioned members are told now, not before."""
    follow = _opening_follows(Visibility.VISIBLE)

    def extra(approved: Post, reason_: str) -> None:
        follow(approved, reason_)
        notifications.post_published(approved)

    return _post_action(
        post, actor=actor, reason=reason, expected=Visibility.PENDING, new_status=Visibility.VISIBLE,
        action=AuditAction.POST_APPROVED, kind=NotificationKind.POST_APPROVED,
        wrong_state=_("This post is not awaiting approval."), extra=extra)


def reject_post(post: Post, *, actor: User, reason: str) -> Post:
    return _post_action(
        post, actor=actor, reason=reason, expected=Visibility.PENDING, new_status=Visibility.REJECTED,
        action=AuditAction.POST_REJECTED, kind=NotificationKind.POST_REJECTED,
        wrong_state=_("This post is not awaiting approval."), extra=_rejected(actor))


def _rejected(actor: User) -> Callable[[Post, str], None]:
    """A rejected post's automatic (watched-word) reports are settled with it."""
    follow = _opening_follows(Visibility.REJECTED)

    def extra(post: Post, reason: str) -> None:
        follow(post, reason)
        _close_reports(post, ReportStatus.UPHELD, actor=actor, reason=reason)
    return extra


def move_posts(source: Thread, post_ids: Sequence[int], *, actor: User, reason: str,
               target: Thread | None = None, new_title: str | None = None, theme: Theme | None = None) -> Thread:
    """Move replies into another thread, or into a new one (the first moved post opens it). Moved posts go
    to the end of the target in their order; their old positions stay empty. Returns the target thread."""
    reason, ids, new_title, theme = _check_move(source, post_ids, actor=actor, reason=reason, target=target,
                                                new_title=new_title, theme=theme)
    with unit_of_work():
        first, second = sorted([source.id, target.id]) if target is not None else (source.id, None)
        counters.lock_thread(first)  # always in id order: two moves between the same threads never deadlock
        if second is not None:
            counters.lock_thread(second)
        posts = list(db.session.execute(select(Post).where(Post.thread_id == source.id, Post.id.in_(ids))
                                        .order_by(Post.position)).scalars())
        if len(posts) != len(ids):
            raise InvalidInput("posts", _("Some of the chosen posts are not in this thread."))
        if any(post.position == 1 for post in posts):
            raise InvalidInput("posts", _("The opening post cannot be moved. Move the whole thread instead."))
        if target is None:
            target = Thread(theme_id=theme.id, author_id=posts[0].author_id, title=new_title,
                            created_at=posts[0].created_at, last_posted_at=posts[0].created_at,
                            post_count=0, last_position=0, status=Visibility.VISIBLE)
            db.session.add(target)
            db.session.flush()
            counters.add_to_theme(theme.id, threads=1)
        positions = [post.position for post in posts]
        visible = [post for post in posts if post.status == Visibility.VISIBLE]
        for post in posts:
            position = db.session.execute(
                update(Thread).where(Thread.id == target.id).values(last_position=Thread.last_position + 1)
                .returning(Thread.last_position), execution_options={"synchronize_session": False}).scalar_one()
            post.thread_id, post.position = target.id, position
            indexing.queue_post(post.id)
        db.session.flush()
        counters.add_posts(source, -len(visible))
        _recompute_last_posted(source)
        counters.add_posts(target, len(visible), posted_at=max((p.created_at for p in visible), default=None))
        db.session.expire(target)
        audit.record(actor, AuditAction.POSTS_MOVED, source, reason=reason,
                     params={"positions": positions, "target_title": target.title, "target_id": target.id})
        for author in {post.author for post in posts if post.author_id != actor.id}:
            notify(author, NotificationKind.POST_MOVED, thread=target)
    return target


def _check_move(source: Thread, post_ids: Sequence[int], *, actor: User, reason: str, target: Thread | None,
                new_title: str | None, theme: Theme | None) -> tuple[str, list[int], str | None, Theme | None]:
    _require(can_moderate(actor, source))
    reason = clean_reason(reason)
    ids = sorted({int(i) for i in post_ids})
    if not ids:
        raise InvalidInput("posts", _("Choose the posts to move."))
    if target is not None:
        _require(can_moderate(actor, target))
        if target.id == source.id:
            raise InvalidInput("target", _("The posts are already in this thread."))
        return reason, ids, None, None
    if not (new_title or "").strip():
        raise InvalidInput("target", _("Choose the thread to move the posts to, or give a title for a new one."))
    theme = theme or source.theme
    _require(can_moderate(actor, theme))
    return reason, ids, clean_title(new_title), theme


def _recompute_last_posted(thread: Thread) -> None:
    latest = select(func.max(Post.created_at)).where(
        Post.thread_id == thread.id, Post.status == Visibility.VISIBLE).scalar_subquery()
    db.session.execute(update(Thread).where(Thread.id == thread.id)
                       .values(last_posted_at=func.coalesce(latest, Thread.created_at)),
                       execution_options={"synchronize_session": False})
    db.session.expire(thread, ["last_posted_at"])


# ---------------------------------------------------------------- threads

_THREAD_FLAGS = {
    # (attribute, new value): the audit action
    ("is_locked", True): AuditAction.THREAD_LOCKED,
    ("is_locked", False): AuditAction.THREAD_UNLOCKED,
    ("is_pinned", True): AuditAction.THREAD_PINNED,
    ("is_pinned", False): AuditAction.THREAD_UNPINNED,
    ("is_closed", True): AuditAction.THREAD_CLOSED,
    ("is_closed", False): AuditAction.THREAD_REOPENED,
}


def _set_thread_flag(thread: Thread, attribute: str, value: bool, *, actor: User, reason: str) -> Thread:
    _require(can_moderate(actor, thread))
    reason = clean_reason(reason)
    with unit_of_work():
        if getattr(thread, attribute) == value:
            raise InvalidInput(None, _("Nothing to change: the thread is already so."))
        setattr(thread, attribute, value)
        audit.record(actor, _THREAD_FLAGS[(attribute, value)], thread, reason=reason)
        if attribute == "is_locked" or attribute == "is_closed":
            for post in thread.posts:  # the search filter shows open/locked
                indexing.queue_post(post.id)
    return thread


def lock_thread(thread: Thread, *, actor: User, reason: str) -> Thread:
    return _set_thread_flag(thread, "is_locked", True, actor=actor, reason=reason)


def unlock_thread(thread: Thread, *, actor: User, reason: str) -> Thread:
    return _set_thread_flag(thread, "is_locked", False, actor=actor, reason=reason)


def pin_thread(thread: Thread, *, actor: User, reason: str) -> Thread:
    return _set_thread_flag(thread, "is_pinned", True, actor=actor, reason=reason)


def unpin_thread(thread: Thread, *, actor: User, reason: str) -> Thread:
    return _set_thread_flag(thread, "is_pinned", False, actor=actor, reason=reason)


def close_thread(thread: Thread, *, actor: User, reason: str) -> Thread:
    return _set_thread_flag(thread, "is_closed", True, actor=actor, reason=reason)


def reopen_thread(thread: Thread, *, actor: User, reason: str) -> Thread:
    return _set_thread_flag(thread, "is_closed", False, actor=actor, reason=reason)


def move_thread(thread: Thread, theme: Theme, *, actor: User, reason: str) -> Thread:
    _require(can_moderate(actor, thread) and can_moderate(actor, theme))
    reason = clean_reason(reason)
    if theme.id == thread.theme_id:
        raise InvalidInput("theme", _("The thread is already in this theme."))
    with unit_of_work():
        locked = counters.lock_thread(thread.id)
        old_theme = locked.theme.name
        if locked.status == Visibility.VISIBLE:
            counters.add_to_theme(locked.theme_id, threads=-1, posts=-locked.post_count)
            counters.add_to_theme(theme.id, threads=1, posts=locked.post_count, posted_at=locked.last_posted_at)
        locked.theme_id = theme.id
        db.session.flush()
        db.session.expire(locked, ["theme"])
        audit.record(actor, AuditAction.THREAD_MOVED, locked, params={"from": old_theme, "to": theme.name},
                     reason=reason)
        for post in locked.posts:
            indexing.queue_post(post.id)
    return thread


def _thread_visibility(thread: Thread, *, actor: User, reason: str, expected: Visibility, status: Visibility,
                       action: AuditAction, kind: NotificationKind, wrong_state: str) -> Thread:
    _require(can_moderate(actor, thread))
    reason = clean_reason(reason)
    with unit_of_work():
        locked = counters.lock_thread(thread.id)
        if locked.status != expected:
            raise InvalidInput(None, wrong_state)
        counters.set_thread_status(locked, status)
        locked.moderation_reason, locked.moderated_at, locked.moderated_by_id = reason, utcnow(), actor.id
        audit.record(actor, action, locked, reason=reason)
        for post in locked.posts:
            indexing.queue_post(post.id)
        if locked.author_id != actor.id:
            notify(locked.author, kind, thread=locked, reason=reason)
    return thread


def hide_thread(thread: Thread, *, actor: User, reason: str) -> Thread:
    return _thread_visibility(thread, actor=actor, reason=reason, expected=Visibility.VISIBLE,
                              status=Visibility.HIDDEN, action=AuditAction.THREAD_HIDDEN,
                              kind=NotificationKind.THREAD_HIDDEN,
                              wrong_state=_("Only a visible thread can be hidden."))


def unhide_thread(thread: Thread, *, actor: User, reason: str) -> Thread:
    return _thread_visibility(thread, actor=actor, reason=reason, expected=Visibility.HIDDEN,
                              status=Visibility.VISIBLE, action=AuditAction.THREAD_UNHIDDEN,
                              kind=NotificationKind.THREAD_UNHIDDEN, wrong_state=_("This thread is not hidden."))


# ---------------------------------------------------------------- theme moderators

def grant_theme_moderator(user: User, theme: Theme, *, actor: User, reason: str) -> ThemeModerator:
    _require(can_manage_moderation(actor))
    reason = clean_reason(reason)
    if not user.is_verified:
        raise InvalidInput("user", _("Only verified members can moderate a theme."))
    with unit_of_work():
        if theme.id in {g.theme_id for g in _active_grants(user)}:
            raise InvalidInput("user", _("This member already moderates this theme."))
        grant = ThemeModerator(user_id=user.id, theme_id=theme.id, granted_by_id=actor.id, created_at=utcnow())
        db.session.add(grant)
        audit.record(actor, AuditAction.THEME_MODERATOR_GRANTED, user, params={"theme": theme.name}, reason=reason)
    return grant


def _active_grants(user: User) -> list[ThemeModerator]:
    return list(db.session.execute(select(ThemeModerator).filter_by(user_id=user.id, revoked_at=None)).scalars())


def revoke_theme_moderator(grant: ThemeModerator, *, actor: User, reason: str) -> ThemeModerator:
    _require(can_manage_moderation(actor))
    reason = clean_reason(reason)
    with unit_of_work():
        if grant.revoked_at is not None:
            raise InvalidInput(None, _("This right has already been revoked."))
        grant.revoked_at, grant.revoked_by_id = utcnow(), actor.id
        audit.record(actor, AuditAction.THEME_MODERATOR_REVOKED, grant.user, params={"theme": grant.theme.name},
                     reason=reason)
    return grant


# ---------------------------------------------------------------- suspensions

def suspend_user(user: User, *, actor: User, until: datetime | None, reason: str) -> Suspension:
    """Stop a member posting until `until` (None: until lifted). They can still log in and read."""
    _require(can_manage_moderation(actor))
    reason = clean_reason(reason)
    if user.id == actor.id:
        raise InvalidInput(None, _("You cannot suspend your own account."))
    if until is not None and until <= utcnow():
        raise InvalidInput("until", _("Choose a date in the future, or leave it empty for an indefinite suspension."))
    with unit_of_work():
        now = utcnow()
        user.suspended_at, user.suspended_until, user.suspension_reason = now, until, reason
        suspension = Suspension(user_id=user.id, created_at=now, created_by_id=actor.id, ends_at=until, reason=reason)
        db.session.add(suspension)
        audit.record(actor, AuditAction.USER_SUSPENDED, user, reason=reason,
                     params={"until": until.isoformat() if until is not None else None})
        notify(user, NotificationKind.USER_SUSPENDED, reason=reason)
    return suspension


def unsuspend_user(user: User, *, actor: User, reason: str) -> User:
    _require(can_manage_moderation(actor))
    reason = clean_reason(reason)
    with unit_of_work():
        if not user.is_suspended:
            raise InvalidInput(None, _("This account is not suspended."))
        now = utcnow()
        # Only the running suspension is lifted: one that ended by itself stays as it ended.
        db.session.execute(update(Suspension).where(
            Suspension.user_id == user.id, Suspension.lifted_at.is_(None),
            or_(Suspension.ends_at.is_(None), Suspension.ends_at > now))
            .values(lifted_at=now, lifted_by_id=actor.id, lift_reason=reason))
        user.suspended_at = user.suspended_until = user.suspension_reason = None
        audit.record(actor, AuditAction.USER_UNSUSPENDED, user, reason=reason)
        notify(user, NotificationKind.USER_UNSUSPENDED, reason=reason)
    return user


# ---------------------------------------------------------------- settings and watched words

def update_settings(*, actor: User, premoderated_roles: Sequence[str], first_posts_to_approve: int,
                    auto_hide_reports: int, reason: str | None = None) -> ModerationSettings:
    _require(can_manage_moderation(actor))
    try:
        roles = sorted({Role(value).value for value in premoderated_roles if value != Role.SECRETARIAT.value})
    except ValueError:
        raise InvalidInput("premoderated_roles", _("Please choose a role."))
    for field, value in (("first_posts_to_approve", first_posts_to_approve), ("auto_hide_reports", auto_hide_reports)):
        if value is None or not 0 <= value <= 100:
            raise InvalidInput(field, _("Enter a number from 0 to 100."))
    with unit_of_work():
        settings = db.session.execute(select(ModerationSettings).order_by(ModerationSettings.id)).scalars().first()
        if settings is None:
            settings = ModerationSettings()
            db.session.add(settings)
        settings.premoderated_roles = ",".join(roles)
        settings.first_posts_to_approve = first_posts_to_approve
        settings.auto_hide_reports = auto_hide_reports
        settings.updated_at = utcnow()
        audit.record(actor, AuditAction.MODERATION_SETTINGS_CHANGED, "moderation settings", reason=reason or None,
                     params={"premoderated_roles": roles, "first_posts_to_approve": first_posts_to_approve,
                             "auto_hide_reports": auto_hide_reports})
    return settings


def add_watched_word(*, actor: User, pattern: str, action: str, is_regex: bool = False, label: str = "",
                     reason: str | None = None) -> WatchedWord:
    _require(can_manage_moderation(actor))
    pattern = (pattern or "").strip()
    if not pattern:
        raise InvalidInput("pattern", _("Please enter a word or pattern."))
    if len(pattern) > 500:
        raise InvalidInput("pattern", _("Use at most %(count)d characters.", count=500))
    if is_regex:
        try:
            compiled = re.compile(pattern)
        except re.error as error:
            raise InvalidInput("pattern", _("This regular expression is not valid: %(error)s", error=str(error)))
        if compiled.search(""):  # "x*" matches every text: it would hold or block every post on the board
            raise InvalidInput("pattern", _("This regular expression is not valid: %(error)s",
                                            error=_("Please enter a word or pattern.")))
    try:
        action_value = WatchedWordAction(action)
    except ValueError:
        raise InvalidInput("action", _("Please choose what happens to a post with this word."))
    label = (label or "").strip()
    if len(label) > 200:  # refused whole, never cut
        raise InvalidInput("label", too_long_message(_("What the author is told (optional)"), 200, len(label)))
    with unit_of_work():
        word = WatchedWord(pattern=pattern, is_regex=is_regex, label=label,
                           action=action_value, created_by_id=actor.id, created_at=utcnow())
        db.session.add(word)
        audit.record(actor, AuditAction.WATCHED_WORD_ADDED, word,
                     params={"word": word.display, "action": action_value.value}, reason=reason or None)
    return word


def add_preset(key: str, *, actor: User, action: str, reason: str | None = None) -> WatchedWord:
    label, pattern = policy.PRESETS[key]
    return add_watched_word(actor=actor, pattern=pattern, action=action, is_regex=True, label=str(label),
                            reason=reason)


def remove_watched_word(word: WatchedWord, *, actor: User, reason: str | None = None) -> WatchedWord:
    _require(can_manage_moderation(actor))
    with unit_of_work():
        if word.removed_at is not None:
            raise InvalidInput(None, _("This word has already been removed."))
        word.removed_at, word.removed_by_id = utcnow(), actor.id
        audit.record(actor, AuditAction.WATCHED_WORD_REMOVED, word,
                     params={"word": word.display, "action": word.action.value}, reason=reason or None)
    return word

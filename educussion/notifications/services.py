"""Notify members, inside the caller's transaction; mark notifications read."""
from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import update

from .. import mail
from ..database import write_transaction
from ..extensions import db
from ..models import Notification, NotificationKind, Post, Thread, User, utcnow
from ..urls import absolute_url

# Kinds that also go out by e-mail (EDUCUSSION_MODERATION_MAIL): what happened to the member's own content.
MAILED = {
    NotificationKind.POST_HIDDEN, NotificationKind.POST_UNHIDDEN, NotificationKind.POST_APPROVED,
    NotificationKind.POST_REJECTED, NotificationKind.THREAD_HIDDEN, NotificationKind.THREAD_UNHIDDEN,
    NotificationKind.USER_SUSPENDED, NotificationKind.USER_UNSUSPENDED,
}


def describe(kind: NotificationKind, title: str) -> str:
    """One sentence saying what happened, in the current locale."""
    messages = {
        NotificationKind.REPORT_RECEIVED: _("We have received your report on a post in “%(title)s”."),
        NotificationKind.REPORT_DISMISSED: _(
            "The secretariat reviewed your report on a post in “%(title)s” and left the post as it is."),
        NotificationKind.REPORT_UPHELD: _(
            "The secretariat reviewed your report on a post in “%(title)s” and hid the post."),
        NotificationKind.POST_HIDDEN: _("Your post in “%(title)s” has been hidden by the secretariat."),
        NotificationKind.POST_UNHIDDEN: _("Your post in “%(title)s” is shown again."),
        NotificationKind.POST_APPROVED: _("Your post in “%(title)s” has been approved and is now public."),
        NotificationKind.POST_REJECTED: _("Your post in “%(title)s” was not approved."),
        NotificationKind.POST_EDITED_BY_MODERATOR: _("The secretariat edited your post in “%(title)s”."),
        NotificationKind.POST_MOVED: _("Your post has been moved to “%(title)s”."),
        NotificationKind.THREAD_HIDDEN: _("Your thread “%(title)s” has been hidden by the secretariat."),
        NotificationKind.THREAD_UNHIDDEN: _("Your thread “%(title)s” is shown again."),
        NotificationKind.USER_SUSPENDED: _("Your account has been suspended from posting."),
        NotificationKind.USER_UNSUSPENDED: _("The suspension of your account has been lifted."),
    }
    return messages[kind] % {"title": title}


def notify(user: User, kind: NotificationKind, *, thread: Thread | None = None, post: Post | None = None,
           reason: str | None = None) -> Notification | None:
    """Add a notification (and, for the member's own content, an e-mail) to the current transaction."""
    if user is None:
        return None
    thread = thread or (post.thread if post is not None else None)
    note = Notification(user_id=user.id, kind=kind, thread_id=thread.id if thread else None,
                        post_id=post.id if post else None, thread_title=thread.title if thread else "",
                        reason=reason, created_at=utcnow())
    db.session.add(note)
    db.session.execute(update(User).where(User.id == user.id)
                       .values(unread_notifications=User.unread_notifications + 1),
                       execution_options={"synchronize_session": False})
    if kind in MAILED and current_app.config["MODERATION_MAIL"]:
        _mail(user, note)
    return note


def _mail(user: User, note: Notification) -> None:
    with force_locale(user.locale or "ja"):
        lines = [_("Dear %(name)s,", name=user.display_name), "", describe(note.kind, note.thread_title)]
        if note.reason:
            lines += ["", _("Reason: %(reason)s", reason=note.reason)]
        lines += ["", _("Your notifications: %(url)s", url=absolute_url("notifications.index")), "",
                  _("Educussion board")]
        mail.queue(user.email, _("[Educussion] %(what)s", what=describe(note.kind, note.thread_title)),
                   "\n".join(lines))


def mark_read(note: Notification, *, actor: User) -> None:
    if note.user_id != actor.id or note.read_at is not None:
        return
    with write_transaction():
        done = db.session.execute(update(Notification).where(Notification.id == note.id,
                                                             Notification.read_at.is_(None))
                                  .values(read_at=utcnow())).rowcount
        if done:
            db.session.execute(update(User).where(User.id == actor.id, User.unread_notifications > 0)
                               .values(unread_notifications=User.unread_notifications - 1))


def mark_all_read(*, actor: User) -> None:
    with write_transaction():
        db.session.execute(update(Notification).where(Notification.user_id == actor.id,
                                                      Notification.read_at.is_(None)).values(read_at=utcnow()))
        db.session.execute(update(User).where(User.id == actor.id).values(unread_notifications=0))

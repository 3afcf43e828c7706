"""Notifications: who is told what (followers, mentions, authors), in the app and by e-mail — at once or in
a daily or weekly digest, as each member chose. Everything here runs inside the caller's transaction,
except the digests and the member's own settings, which are units of work of their own."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import case, func, select, update
from sqlalchemy.orm import joinedload

from .. import mail, text
from ..database import unit_of_work
from ..errors import InvalidInput, PermissionDenied
from ..extensions import db
from ..handles import mentioned_handles
from ..models import (Delivery, Follow, Notification, NotificationKind, NotificationPreference, Post, Theme, Thread,
                      User, utcnow)
from ..permissions import why_not_follow_thread
from ..urls import absolute_url

K = NotificationKind
# E-mail settings are per topic, a group of kinds of event.
TOPICS: dict[str, set[NotificationKind]] = {
    "replies": {K.REPLY},
    "mentions": {K.MENTION},
    "new_threads": {K.NEW_THREAD},
    "my_content": {K.POST_HIDDEN, K.POST_UNHIDDEN, K.POST_APPROVED, K.POST_REJECTED, K.POST_EDITED_BY_MODERATOR,
                   K.POST_MOVED, K.THREAD_HIDDEN, K.THREAD_UNHIDDEN, K.CONCLUSION_ADDED},
    "account": {K.USER_SUSPENDED, K.USER_UNSUSPENDED, K.VERIFICATION_APPROVED, K.VERIFICATION_REJECTED},
    "reports": {K.REPORT_RECEIVED, K.REPORT_DISMISSED, K.REPORT_UPHELD},
}
TOPIC_LABELS = {
    "replies": _l("Replies in threads you follow"),
    "mentions": _l("Mentions of you (@)"),
    "new_threads": _l("New threads in themes you follow"),
    "my_content": _l("What happens to your posts (hidden, approved, rejected, edited, conclusions)"),
    "account": _l("Your account (verification, suspension)"),
    "reports": _l("The outcome of your reports"),
}
DEFAULTS = {"replies": Delivery.IMMEDIATELY, "mentions": Delivery.IMMEDIATELY, "new_threads": Delivery.WEEKLY,
            "my_content": Delivery.IMMEDIATELY, "account": Delivery.IMMEDIATELY, "reports": Delivery.NEVER}
TOPIC_OF = {kind: topic for topic, kinds in TOPICS.items() for kind in kinds}
# Verification decisions and review requests (意見照会) have their own mail (with the details: the deadline, the
# secretariat's message); the notification is in-app only.
OWN_MAIL = {K.VERIFICATION_APPROVED, K.VERIFICATION_REJECTED, K.PROPOSAL_REVIEW_REQUESTED,
            K.PROPOSAL_REVIEW_REMINDER}
UNSUBSCRIBE_SALT = "educussion.notifications.unsubscribe"


def describe(kind: NotificationKind, title: str, count: int = 1, who: str = "") -> str:
    """One sentence saying what happened, in the current locale (a single reply names its author, `who`)."""
    messages = {
        K.REPORT_RECEIVED: _("We have received your report on a post in “%(title)s”."),
        K.REPORT_DISMISSED: _(
            "The secretariat reviewed your report on a post in “%(title)s” and left the post as it is."),
        K.REPORT_UPHELD: _("The secretariat reviewed your report on a post in “%(title)s” and hid the post."),
        K.POST_HIDDEN: _("Your post in “%(title)s” has been hidden by the secretariat."),
        K.POST_UNHIDDEN: _("Your post in “%(title)s” is shown again."),
        K.POST_APPROVED: _("Your post in “%(title)s” has been approved and is now public."),
        K.POST_REJECTED: _("Your post in “%(title)s” was not approved."),
        K.POST_EDITED_BY_MODERATOR: _("The secretariat edited your post in “%(title)s”."),
        K.POST_MOVED: _("Your post has been moved to “%(title)s”."),
        K.THREAD_HIDDEN: _("Your thread “%(title)s” has been hidden by the secretariat."),
        K.THREAD_UNHIDDEN: _("Your thread “%(title)s” is shown again."),
        K.USER_SUSPENDED: _("Your account has been suspended from posting."),
        K.USER_UNSUSPENDED: _("The suspension of your account has been lifted."),
        K.REPLY: _("%(count)d new replies — %(title)s") if count > 1 else (
            _("%(who)s replied — %(title)s") if who else _("A new reply — %(title)s")),
        K.NEW_THREAD: _("A new thread in a theme you follow — %(title)s"),
        K.MENTION: _("You were mentioned in “%(title)s”."),
        K.VERIFICATION_APPROVED: _("Your account has been verified. You can now post."),
        K.VERIFICATION_REJECTED: _("Your verification request was not approved."),
        K.CONCLUSION_ADDED: _("The secretariat has written a conclusion for your thread “%(title)s”."),
        K.PROPOSAL_REVIEW_REQUESTED: _("The secretariat asks for your opinion on the draft proposal “%(title)s”."),
        K.PROPOSAL_REVIEW_REMINDER: _("The deadline for your opinion on the draft proposal “%(title)s” is near."),
    }
    return messages[kind] % {"title": title, "count": count, "who": who}


def author_of(post: Post | None) -> str:
    """Who wrote a public post, as the board shows it (「桜川台市長 高村 誠一」); "" for anything else."""
    if post is None or not post.is_public:
        return ""
    return " ".join(part for part in (post.author_affiliation, post.author.display_name) if part)


# ---------------------------------------------------------------- preferences and unsubscribe links

def preferences(user: User) -> dict[str, Delivery]:
    chosen = dict(db.session.execute(select(NotificationPreference.topic, NotificationPreference.delivery)
                                     .where(NotificationPreference.user_id == user.id)).all())
    return {topic: chosen.get(topic, default) for topic, default in DEFAULTS.items()}


def save_preferences(user: User, *, actor: User, choices: dict[str, str]) -> dict[str, Delivery]:
    if actor is None or actor.id != user.id:
        raise PermissionDenied(_("You can only change your own settings."))
    try:
        wanted = {topic: Delivery(choices[topic]) for topic in DEFAULTS if topic in choices}
    except ValueError:
        raise InvalidInput(None, _("Please choose how you want to be told."))
    with unit_of_work():
        _store(user, wanted)
    return preferences(user)


def _store(user: User, wanted: dict[str, Delivery]) -> None:
    existing = {p.topic: p for p in db.session.execute(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id)).scalars()}
    for topic, delivery in wanted.items():
        if topic in existing:
            existing[topic].delivery = delivery
        else:
            db.session.add(NotificationPreference(user_id=user.id, topic=topic, delivery=delivery))


def unsubscribe_token(user: User, topic: str) -> str:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT).dumps([user.id, topic])


def read_unsubscribe_token(token: str) -> tuple[User, str] | None:
    try:
        user_id, topic = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    user = db.session.get(User, user_id)
    if user is None or (topic != "all" and topic not in DEFAULTS):
        return None
    return user, topic


def unsubscribe(token: str) -> tuple[User, str] | None:
    """One click from a mail, without logging in: stop that topic's mails (or all of them)."""
    found = read_unsubscribe_token(token)
    if found is None:
        return None
    user, topic = found
    with unit_of_work():
        _store(user, {t: Delivery.NEVER for t in (DEFAULTS if topic == "all" else [topic])})
    return user, topic


# ---------------------------------------------------------------- notifying

def notify(user: User | None, kind: NotificationKind, *, thread: Thread | None = None, post: Post | None = None,
           reason: str | None = None, proposal=None) -> Notification | None:
    """Add a notification (and, if the member wants it at once, an e-mail) to the current transaction.
    `proposal`: a 提言 the notification is about (its title is kept as the notification's title)."""
    if user is None:
        return None
    thread = thread or (post.thread if post is not None else None)
    title = thread.title if thread else (proposal.title if proposal is not None else "")
    note = Notification(user_id=user.id, kind=kind, thread_id=thread.id if thread else None,
                        post_id=post.id if post else None, proposal_id=proposal.id if proposal is not None else None,
                        thread_title=title, reason=reason, created_at=utcnow())
    db.session.add(note)
    db.session.execute(update(User).where(User.id == user.id)
                       .values(unread_notifications=User.unread_notifications + 1),
                       execution_options={"synchronize_session": False})
    delivery = _delivery(user, kind)
    if delivery == Delivery.IMMEDIATELY:
        db.session.flush()
        _mail_one(user, note, post)
        note.mailed_at = utcnow()
    elif delivery == Delivery.NEVER:
        # Settled for e-mail now: digests never look at it again, even if the member later chooses one.
        note.mailed_at = note.created_at
    return note


def _delivery(user: User, kind: NotificationKind) -> Delivery | None:
    """How this notification goes out by e-mail; None: not now (an unconfirmed address may be confirmed later)."""
    if kind in OWN_MAIL:
        return Delivery.NEVER
    topic = TOPIC_OF[kind]
    if topic in ("my_content", "account") and not current_app.config["MODERATION_MAIL"]:
        return Delivery.NEVER
    delivery = preferences(user)[topic]
    if delivery == Delivery.IMMEDIATELY and not user.email_confirmed_at:
        return None
    return delivery


def _mail_one(user: User, note: Notification, post: Post | None) -> None:
    topic = TOPIC_OF[note.kind]
    with force_locale(user.locale or "ja"):
        what = describe(note.kind, note.thread_title, who=author_of(post))
        link = absolute_url("board.permalink", post_id=post.id) if post is not None else (
            absolute_url("board.show_thread", thread_id=note.thread_id) if note.thread_id else None)
        context = dict(user=user, what=what, reason=note.reason, link=link,
                       excerpt=text.excerpt(post.body_html, 200) if post is not None and post.is_public else "",
                       settings_url=absolute_url("notifications.settings"),
                       unsubscribe_url=absolute_url("notifications.unsubscribe", token=unsubscribe_token(user, topic)))
        # A subject line is a heading: no closing 「。」
        mail.queue(user.email, _("[Educussion] %(what)s", what=what.rstrip("。.")),
                   mail.render("mail/notification.txt", **context),
                   html=mail.render("mail/notification.html", **context),
                   unsubscribe_url=context["unsubscribe_url"])


# ---------------------------------------------------------------- following and fan-out

def follow_thread(user: User, thread: Thread, *, auto: bool = False) -> None:
    """Inside the caller's transaction. `auto` (starting or replying) never overrides an unfollow."""
    _follow(user, thread_id=thread.id, auto=auto)


def _follow(user: User, *, thread_id: int | None = None, theme_id: int | None = None, auto: bool,
            active: bool = True) -> None:
    existing = db.session.execute(select(Follow).filter_by(user_id=user.id, thread_id=thread_id,
                                                           theme_id=theme_id)).scalar()
    if existing is None:
        db.session.add(Follow(user_id=user.id, thread_id=thread_id, theme_id=theme_id, is_active=active,
                              created_at=utcnow()))
    elif not auto:
        existing.is_active = active


def set_following(user: User, *, actor: User, thread: Thread | None = None, theme: Theme | None = None,
                  on: bool) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False) or actor.id != user.id:
        raise PermissionDenied(_("You can only change your own settings."))
    if thread is not None and on:
        why = why_not_follow_thread(actor, thread)
        if why is not None:
            raise PermissionDenied(why)
    with unit_of_work():
        _follow(user, thread_id=thread.id if thread else None, theme_id=theme.id if theme else None, auto=False,
                active=on)


def _followers(**where) -> list[User]:
    query = select(User).join(Follow, Follow.user_id == User.id).where(Follow.is_active.is_(True))
    for name, value in where.items():
        query = query.where(getattr(Follow, name) == value)
    return list(db.session.execute(query).scalars())


def post_published(post: Post) -> None:
    """A post became public (written, or approved): tell the followers and anyone it mentions. Inside the
    caller's transaction; a hidden or pending post tells nobody until it is visible."""
    thread = post.thread
    if not post.is_public:
        return
    mentioned = _mentioned(post)
    for user in mentioned:
        notify(user, K.MENTION, post=post)
    told = {post.author_id} | {user.id for user in mentioned}
    if post.position == 1:
        followers, kind = _followers(theme_id=thread.theme_id), K.NEW_THREAD
    else:
        followers, kind = _followers(thread_id=thread.id), K.REPLY
    for user in followers:
        if user.id not in told and user.is_verified:
            notify(user, kind, post=post)
            told.add(user.id)


def _mentioned(post: Post) -> list[User]:
    handles = mentioned_handles(post.body_source)
    if not handles:
        return []
    users = db.session.execute(select(User).where(func.lower(User.handle).in_(handles))).scalars()
    return [user for user in users if user.is_verified and user.id != post.author_id]


# ---------------------------------------------------------------- reading

def mark_read(notes: Notification | Iterable[Notification], *, actor: User) -> None:
    if isinstance(notes, Notification):
        notes = [notes]
    ids = [note.id for note in notes if note.user_id == actor.id and note.read_at is None]
    if not ids:
        return
    with unit_of_work():
        done = db.session.execute(update(Notification).where(Notification.id.in_(ids),
                                                             Notification.read_at.is_(None))
                                  .values(read_at=utcnow())).rowcount
        if done:
            db.session.execute(update(User).where(User.id == actor.id).values(unread_notifications=case(
                (User.unread_notifications > done, User.unread_notifications - done), else_=0)))


def mark_all_read(*, actor: User) -> None:
    with unit_of_work():
        db.session.execute(update(Notification).where(Notification.user_id == actor.id,
                                                      Notification.read_at.is_(None)).values(read_at=utcnow()))
        db.session.execute(update(User).where(User.id == actor.id).values(unread_notifications=0))


# ---------------------------------------------------------------- digests

def send_digests(frequency: Delivery, now: datetime | None = None) -> int:
    """One mail per member with what waits for their daily (or weekly) digest; returns how many were sent.
    Each notification is mailed at most once (mailed_at), so running twice sends nothing twice; members with
    nothing new get nothing."""
    pending = db.session.execute(
        select(Notification).options(joinedload(Notification.post).joinedload(Post.thread).joinedload(Thread.theme))
        .where(Notification.mailed_at.is_(None), Notification.kind.in_(list(TOPIC_OF)))
        .order_by(Notification.user_id, Notification.created_at)).scalars().all()
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for note in pending:
        by_user[note.user_id].append(note)
    sent = 0
    for user_id, notes in by_user.items():
        user = db.session.get(User, user_id)
        if user is None or not user.email_confirmed_at:
            continue
        chosen = preferences(user)
        due = [n for n in notes if n.kind not in OWN_MAIL and chosen[TOPIC_OF[n.kind]] == frequency]
        visible = [n for n in due if _still_mailable(n)]
        if not visible:
            continue
        with unit_of_work():
            _mail_digest(user, frequency, visible)
            for note in visible:
                note.mailed_at = now or utcnow()
        sent += 1
    return sent


# These announce someone's post: once it (or its thread) is hidden, they are not mailed at all. News about the
# member's own posts or reports still is ("your post was hidden"), without quoting what was hidden.
ANNOUNCES_A_POST = {K.REPLY, K.NEW_THREAD, K.MENTION}


def _still_mailable(note: Notification) -> bool:
    return note.kind not in ANNOUNCES_A_POST or (note.post is not None and note.post.is_public)


def _mail_digest(user: User, frequency: Delivery, notes: list[Notification]) -> None:
    with force_locale(user.locale or "ja"):
        themes: dict[str, list[dict]] = defaultdict(list)
        others = []
        for note in notes:
            item = {"what": describe(note.kind, note.thread_title, who=author_of(note.post)), "reason": note.reason,
                    "link": absolute_url("board.permalink", post_id=note.post_id) if note.post_id else None,
                    "excerpt": text.excerpt(note.post.body_html, 120) if note.post is not None and note.post.is_public
                    else ""}
            if note.post is not None:
                themes[note.post.thread.theme.name].append(item)
            else:
                others.append(item)
        title = _("Your daily digest") if frequency == Delivery.DAILY else _("Your weekly digest")
        context = dict(user=user, title=title, themes=dict(themes), others=others,
                       settings_url=absolute_url("notifications.settings"),
                       unsubscribe_url=absolute_url("notifications.unsubscribe",
                                                    token=unsubscribe_token(user, "all")))
        mail.queue(user.email, _("[Educussion] %(what)s (%(count)d)", what=title, count=len(notes)),
                   mail.render("mail/digest.txt", **context), html=mail.render("mail/digest.html", **context),
                   unsubscribe_url=context["unsubscribe_url"])

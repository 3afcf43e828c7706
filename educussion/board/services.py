"""Board changes: start a thread, reply, edit a post."""
from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .. import audit, text
from ..database import unit_of_work
from ..errors import InvalidInput, PermissionDenied
from ..drafts import services as drafts
from ..files import services as files
from ..extensions import db
from ..limits import MAX_BODY_LENGTH, MAX_TITLE_LENGTH, too_long_message
from ..models import (AuditAction, DraftKind, NotificationKind, Post, PostRevision, Report, ReportReason, Theme,
                      Thread, User, Visibility, utcnow)
from ..moderation import policy
from ..notifications import services as notifications
from ..notifications.services import notify
from ..permissions import why_not_edit_post, why_not_reply, why_not_start_thread
from ..search import indexing
from . import counters

__all__ = ["MAX_BODY_LENGTH", "MAX_TITLE_LENGTH"]


def clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise InvalidInput("title", _("Please enter a title."))
    if len(title) > MAX_TITLE_LENGTH:
        raise InvalidInput("title", too_long_message(_("Title"), MAX_TITLE_LENGTH, len(title)))
    return title


def clean_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise InvalidInput("body", _("Please write something."))
    if len(body) > MAX_BODY_LENGTH:
        raise InvalidInput("body", too_long_message(_("Body"), MAX_BODY_LENGTH, len(body)))
    return body


def _existing_post(actor: User, idempotency_key: str | None) -> Post | None:
    if not idempotency_key:
        return None
    return db.session.execute(
        select(Post).filter_by(author_id=actor.id, idempotency_key=idempotency_key)
    ).scalar()


def clean_reason(reason: str | None, field: str = "reason") -> str:
    """Moderators give a reason for everything they do; it is recorded and shown to the people concerned."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidInput(field, _("Please enter the reason. It is recorded and shown to the author."))
    if len(reason) > 1000:
        raise InvalidInput(field, too_long_message(_("Reason"), 1000, len(reason)))
    return reason


def _new_post(thread: Thread, actor: User, body: str, position: int, idempotency_key: str | None, now,
              screening: policy.Screening, file_ids: Sequence[int] = ()) -> Post:
    post = Post(
        thread=thread,
        position=position,
        author=actor,
        author_role=actor.role,
        author_organisation=actor.organisation_name,
        author_title=actor.title,
        author_prefecture=actor.organisation.prefecture if actor.organisation else "",
        body_source=body,
        body_html=text.render(body),
        idempotency_key=idempotency_key or None,
        created_at=now,
        status=screening.status,
        moderation_reason=screening.hold_reason,
    )
    _flag(post, screening)
    db.session.add(post)
    if file_ids:
        files.claim_for_post(post, actor, file_ids)
        post.body_html = text.render(body, files.images_of(post.attachments))
    post.revisions.append(PostRevision(number=1, editor=actor, body_source=body, created_at=now,
                                       files=files.snapshot(post.attachments) or None))
    return post


def _flag(post: Post, screening: policy.Screening) -> None:
    """Watched words with the "flag" action report the post automatically (a report without a reporter)."""
    if screening.flags:
        words = "、".join(dict.fromkeys(word.display for word in screening.flags))
        db.session.add(Report(post=post, reporter_id=None, reason=ReportReason.WATCHED_WORD, details=words))


def _refuse_if(refusal: str | None) -> None:
    """Raise PermissionDenied with the reason permissions.why_not_* gave (None: allowed)."""
    if refusal is not None:
        raise PermissionDenied(refusal)


def _audit_params(screening: policy.Screening, **facts) -> dict:
    """The audit entry's facts, with why the post waits for approval when it does (rendered by the log)."""
    if screening.status == Visibility.PENDING:
        facts["hold"] = screening.hold
    return facts


def _run_idempotent(actor: User, idempotency_key: str | None, work):
    """Run `work` in a write transaction, unless this key already produced a post (a resubmitted form)."""
    try:
        with unit_of_work():
            existing = _existing_post(actor, idempotency_key)
            if existing is not None:
                return existing
            return work()
    except IntegrityError:
        # A concurrent twin of this request committed first (PostgreSQL); hand back its post.
        existing = _existing_post(actor, idempotency_key)
        if existing is None:
            raise
        return existing


def create_thread(theme: Theme, *, actor: User, title: str, body: str, idempotency_key: str | None = None,
                  file_ids: Sequence[int] = ()) -> Thread:
    """Open a thread in a theme with its first post; returns the thread. `file_ids`: the actor's pending
    uploads (files.services.stage_uploads) to attach."""
    _refuse_if(why_not_start_thread(actor, theme))
    title = clean_title(title)
    body = clean_body(body)
    screening = policy.screen(actor, theme.id, title=title, body=body, new_post=True)

    def work() -> Post:
        now = utcnow()
        visible = screening.status == Visibility.VISIBLE
        # A thread whose opening post waits for approval waits with it.
        thread = Thread(theme_id=theme.id, author=actor, title=title, created_at=now, last_posted_at=now,
                        post_count=1 if visible else 0, last_position=1, status=screening.status)
        db.session.add(thread)
        post = _new_post(thread, actor, body, 1, idempotency_key, now, screening, file_ids)
        post.revisions[0].title = title
        if visible:
            counters.add_to_theme(theme.id, threads=1, posts=1, posted_at=now)
        audit.record(actor, AuditAction.THREAD_CREATED, thread, params=_audit_params(screening, title=title))
        notifications.follow_thread(actor, thread, auto=True)
        notifications.post_published(post)
        indexing.queue_post(post.id)
        drafts.remove_draft(actor, DraftKind.THREAD, theme.slug)
        return post

    thread = _run_idempotent(actor, idempotency_key, work).thread
    return thread


def create_reply(thread: Thread, *, actor: User, body: str, idempotency_key: str | None = None,
                 file_ids: Sequence[int] = ()) -> Post:
    _refuse_if(why_not_reply(actor, thread))
    body = clean_body(body)
    screening = policy.screen(actor, thread.theme_id, title=None, body=body, new_post=True)

    def work() -> Post:
        _refuse_if(why_not_reply(actor, thread))  # re-checked on fresh data, under the write lock
        now = utcnow()
        visible = screening.status == Visibility.VISIBLE
        values = {"last_position": Thread.last_position + 1}
        if visible:
            values.update(post_count=Thread.post_count + 1, last_posted_at=counters.later(Thread.last_posted_at, now))
        # The row update both counts the post and hands out its position; concurrent replies queue on it.
        position = db.session.execute(
            update(Thread).where(Thread.id == thread.id).values(**values).returning(Thread.last_position),
            execution_options={"synchronize_session": False},
        ).scalar_one()
        db.session.expire(thread, ["post_count", "last_posted_at", "last_position"])
        post = _new_post(thread, actor, body, position, idempotency_key, now, screening, file_ids)
        if visible:
            counters.add_to_theme(thread.theme_id, posts=1, posted_at=now)
        audit.record(actor, AuditAction.POST_CREATED, post,
                     params=_audit_params(screening, excerpt=text.excerpt(post.body_html, 200)))
        notifications.follow_thread(actor, thread, auto=True)
        notifications.post_published(post)
        indexing.queue_post(post.id)
        drafts.remove_draft(actor, DraftKind.REPLY, thread.id)
        return post

    post = _run_idempotent(actor, idempotency_key, work)
    return post


def edit_post(post: Post, *, actor: User, body: str, title: str | None = None, reason: str | None = None,
              file_ids: Sequence[int] = (), remove_file_ids: Sequence[int] = ()) -> Post:
    """Change a post (and, for an opening post, its thread's title, its files: `file_ids` pending uploads to
    add, `remove_file_ids` attached files to take off); the old text and files stay as a revision.

    A moderator editing someone else's post must give a reason; the revision is marked as a moderator's
    edit and the author is told. An author's edit passes the watched words again."""
    _refuse_if(why_not_edit_post(actor, post))
    by_moderator = post.author_id != actor.id
    reason = clean_reason(reason) if by_moderator else None
    body = clean_body(body)
    is_opening = post.position == 1
    new_title = clean_title(title) if is_opening and title is not None else None
    screening = (policy.Screening() if by_moderator
                 else policy.screen(actor, post.thread.theme_id, title=new_title, body=body, new_post=False))
    with unit_of_work():
        thread = post.thread
        drafts.remove_draft(actor, DraftKind.EDIT, post.id)
        before = [file.id for file in post.attachments]
        files.remove_from_post(post, remove_file_ids)
        files.claim_for_post(post, actor, file_ids)
        files_changed = [file.id for file in post.attachments] != before
        if body == post.body_source and (new_title is None or new_title == thread.title) and not files_changed:
            return post
        now = utcnow()
        number = len(post.revisions) + 1
        if new_title is not None:
            thread.title = new_title
        post.body_source = body
        post.body_html = text.render(body, files.images_of(post.attachments))
        post.edited_at = now
        post.revisions.append(
            PostRevision(number=number, editor=actor, body_source=body, created_at=now,
                         title=thread.title if is_opening else None, is_moderator_edit=by_moderator, reason=reason,
                         files=files.snapshot(post.attachments) or None)
        )
        if screening.status == Visibility.PENDING and post.status == Visibility.VISIBLE:
            if is_opening:  # the thread is public already: have it reviewed rather than withdraw it
                db.session.add(Report(post=post, reporter_id=None, reason=ReportReason.WATCHED_WORD,
                                      details=screening.hold_reason))
            else:
                counters.lock_thread(thread.id)
                post.status = Visibility.PENDING
                post.moderation_reason = screening.hold_reason
                counters.add_posts(thread, -1)
        _flag(post, screening)
        if by_moderator:
            audit.record(actor, AuditAction.POST_EDITED_BY_MODERATOR, post, params={"version": number},
                         reason=reason)
            notify(post.author, NotificationKind.POST_EDITED_BY_MODERATOR, post=post, reason=reason)
        else:
            audit.record(actor, AuditAction.POST_EDITED, post, params=_audit_params(screening, version=number))
        indexing.queue_post(post.id)
    return post

"""Board changes: start a thread, reply, edit a post."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError

from .. import audit, text
from ..database import write_transaction
from ..errors import InvalidInput, PermissionDenied
from ..extensions import db
from ..models import AuditAction, Post, PostRevision, Theme, Thread, User, utcnow
from ..permissions import can_edit_post, can_reply, can_start_thread
from ..search import services as search

MAX_TITLE_LENGTH = 120
MAX_BODY_LENGTH = 20000


def clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise InvalidInput("title", _("Please enter a title."))
    if len(title) > MAX_TITLE_LENGTH:
        raise InvalidInput("title", _("Use at most %(count)d characters.", count=MAX_TITLE_LENGTH))
    return title


def clean_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise InvalidInput("body", _("Please write something."))
    if len(body) > MAX_BODY_LENGTH:
        raise InvalidInput("body", _("Use at most %(count)d characters.", count=MAX_BODY_LENGTH))
    return body


def _later(column, when: datetime):
    """The later of a stored time and `when`, computed by the database (safe under concurrency)."""
    return case((column.is_(None), when), (column < when, when), else_=column)


def _existing_post(actor: User, idempotency_key: str | None) -> Post | None:
    if not idempotency_key:
        return None
    return db.session.execute(
        select(Post).filter_by(author_id=actor.id, idempotency_key=idempotency_key)
    ).scalar()


def _new_post(thread: Thread, actor: User, body: str, position: int, idempotency_key: str | None, now) -> Post:
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
    )
    post.revisions.append(PostRevision(number=1, editor=actor, body_source=body, created_at=now))
    db.session.add(post)
    return post


def _count_post_in_theme(theme_id: int, now: datetime, *, new_thread: bool) -> None:
    values = {
        "post_count": Theme.post_count + 1,
        "last_posted_at": _later(Theme.last_posted_at, now),
    }
    if new_thread:
        values["thread_count"] = Theme.thread_count + 1
    db.session.execute(update(Theme).where(Theme.id == theme_id).values(**values), execution_options={
        "synchronize_session": False
    })


def _run_idempotent(actor: User, idempotency_key: str | None, work):
    """Run `work` in a write transaction, unless this key already produced a post (a resubmitted form)."""
    try:
        with write_transaction():
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


def create_thread(theme: Theme, *, actor: User, title: str, body: str, idempotency_key: str | None = None) -> Thread:
    """Open a thread in a theme with its first post; returns the thread."""
    if not can_start_thread(actor, theme):
        raise PermissionDenied(_("Your account cannot start threads."))
    title = clean_title(title)
    body = clean_body(body)

    def work() -> Post:
        now = utcnow()
        thread = Thread(theme_id=theme.id, author=actor, title=title, created_at=now, last_posted_at=now,
                        post_count=1)
        db.session.add(thread)
        post = _new_post(thread, actor, body, 1, idempotency_key, now)
        post.revisions[0].title = title
        _count_post_in_theme(theme.id, now, new_thread=True)
        audit.record(actor, AuditAction.THREAD_CREATED, thread, summary=title)
        search.queue_post(post.id)
        return post

    thread = _run_idempotent(actor, idempotency_key, work).thread
    search.drain_after_commit()
    return thread


def create_reply(thread: Thread, *, actor: User, body: str, idempotency_key: str | None = None) -> Post:
    if not can_reply(actor, thread):
        raise PermissionDenied(_("Your account cannot reply in this thread."))
    body = clean_body(body)

    def work() -> Post:
        if not can_reply(actor, thread):  # re-checked on fresh data, under the write lock
            raise PermissionDenied(_("Your account cannot reply in this thread."))
        now = utcnow()
        # The row update both counts the post and hands out its position; concurrent replies queue on it.
        position = db.session.execute(
            update(Thread)
            .where(Thread.id == thread.id)
            .values(post_count=Thread.post_count + 1, last_posted_at=_later(Thread.last_posted_at, now))
            .returning(Thread.post_count),
            execution_options={"synchronize_session": False},
        ).scalar_one()
        db.session.expire(thread, ["post_count", "last_posted_at"])
        post = _new_post(thread, actor, body, position, idempotency_key, now)
        _count_post_in_theme(thread.theme_id, now, new_thread=False)
        audit.record(actor, AuditAction.POST_CREATED, post, summary=text.excerpt(post.body_html, 200))
        search.queue_post(post.id)
        return post

    post = _run_idempotent(actor, idempotency_key, work)
    search.drain_after_commit()
    return post


def edit_post(post: Post, *, actor: User, body: str, title: str | None = None) -> Post:
    """Change a post (and, for an opening post, its thread's title); the old text stays as a revision."""
    if not can_edit_post(actor, post):
        raise PermissionDenied(_("You can only edit your own posts."))
    body = clean_body(body)
    is_opening = post.position == 1
    new_title = clean_title(title) if is_opening and title is not None else None
    with write_transaction():
        thread = post.thread
        if body == post.body_source and (new_title is None or new_title == thread.title):
            return post
        now = utcnow()
        number = len(post.revisions) + 1
        if new_title is not None:
            thread.title = new_title
        post.body_source = body
        post.body_html = text.render(body)
        post.edited_at = now
        post.revisions.append(
            PostRevision(number=number, editor=actor, body_source=body, created_at=now,
                         title=thread.title if is_opening else None)
        )
        audit.record(actor, AuditAction.POST_EDITED, post, summary=f"revision {number}")
        search.queue_post(post.id)
    search.drain_after_commit()
    return post

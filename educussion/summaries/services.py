"""The secretariat's conclusions, outcomes and key points; members' 「参考になった」 marks."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from .. import audit, text
from ..database import unit_of_work
from ..errors import InvalidInput, PermissionDenied
from ..extensions import db
from ..limits import MAX_BODY_LENGTH, too_long_message
from ..models import AuditAction, HelpfulMark, NotificationKind, Outcome, Post, Thread, ThreadConclusion, User, utcnow
from ..notifications.services import notify
from ..permissions import can_summarise, why_not_mark_helpful


def _require_secretariat(actor: User) -> None:
    if not can_summarise(actor):
        raise PermissionDenied(_("Only the secretariat can do this."))


def save_summary(thread: Thread, *, actor: User, outcome: str, conclusion: str | None) -> Thread:
    """Set the thread's outcome and, when the text changed, add a new version of its まとめ (earlier versions
    stay). Each change writes its own audit entry."""
    _require_secretariat(actor)
    try:
        value = Outcome(outcome)
    except ValueError:
        raise InvalidInput("outcome", _("Please choose an outcome."))
    body = (conclusion or "").replace("\r\n", "\n").strip()
    if len(body) > MAX_BODY_LENGTH:
        raise InvalidInput("conclusion", too_long_message(_("Conclusion (まとめ)"), MAX_BODY_LENGTH, len(body)))
    with unit_of_work():
        latest = db.session.execute(select(ThreadConclusion).filter_by(thread_id=thread.id)
                                    .order_by(ThreadConclusion.number.desc()).limit(1)).scalar()
        if body and (latest is None or latest.body_source != body):
            _add_conclusion(thread, actor, body)
        elif not body and latest is not None:
            raise InvalidInput("conclusion", _("A conclusion cannot be emptied; write what replaces it."))
        elif not body and thread.outcome == value:
            raise InvalidInput("conclusion", _("Please write the conclusion, or choose another outcome. "
                                               "Nothing has been saved."))
        if thread.outcome != value:
            before = thread.outcome
            thread.outcome = value
            audit.record(actor, AuditAction.THREAD_OUTCOME_SET, thread,
                         params={"from": before.value, "to": value.value})
    return thread


def _add_conclusion(thread: Thread, actor: User, body: str) -> ThreadConclusion:
    number = db.session.execute(
        update(Thread).where(Thread.id == thread.id).values(conclusion_count=Thread.conclusion_count + 1)
        .returning(Thread.conclusion_count), execution_options={"synchronize_session": False}).scalar_one()
    db.session.expire(thread, ["conclusion_count"])
    conclusion = ThreadConclusion(thread_id=thread.id, number=number, body_source=body,
                                  body_html=text.render(body), author_id=actor.id, created_at=utcnow())
    db.session.add(conclusion)
    audit.record(actor, AuditAction.CONCLUSION_WRITTEN, thread, params={"version": number})
    if thread.author_id != actor.id:
        notify(thread.author, NotificationKind.CONCLUSION_ADDED, thread=thread)
    return conclusion


def set_key_point(post: Post, *, actor: User, on: bool) -> Post:
    _require_secretariat(actor)
    with unit_of_work():
        if post.is_key_point == on:
            return post
        post.is_key_point = on
        audit.record(actor, AuditAction.KEY_POINT_MARKED if on else AuditAction.KEY_POINT_UNMARKED, post)
    return post


def mark_helpful(post: Post, *, actor: User, on: bool = True) -> Post:
    """「参考になった」: one per member per post (marking twice changes nothing); `on=False` takes it back."""
    refusal = why_not_mark_helpful(actor, post)
    if refusal is not None:
        raise PermissionDenied(refusal)
    try:
        with unit_of_work():
            if on:
                existing = db.session.execute(select(HelpfulMark.id).filter_by(post_id=post.id, user_id=actor.id))
                if existing.first() is None:
                    db.session.add(HelpfulMark(post_id=post.id, user_id=actor.id, created_at=utcnow()))
                    db.session.flush()
                    _count(post, +1)
            else:
                removed = db.session.execute(
                    delete(HelpfulMark).where(HelpfulMark.post_id == post.id, HelpfulMark.user_id == actor.id)
                ).rowcount
                if removed:
                    _count(post, -1)
    except IntegrityError:
        db.session.rollback()  # a double click raced itself: the first one counted
    return post


def _count(post: Post, delta: int) -> None:
    db.session.execute(update(Post).where(Post.id == post.id).values(helpful_count=Post.helpful_count + delta),
                       execution_options={"synchronize_session": False})
    db.session.expire(post, ["helpful_count"])

"""Audit entries, written inside the caller's transaction so they commit with the change."""
from __future__ import annotations

from typing import Any

from .extensions import db
from .models import AuditAction, AuditEntry, Post, Thread, User, WatchedWord


def _label(target: Any) -> str:
    if isinstance(target, User):
        return f"{target.display_name} <{target.email}>"
    if isinstance(target, Thread):
        return target.title
    if isinstance(target, Post):
        return f"{target.thread.title} #{target.position}"
    if isinstance(target, WatchedWord):
        return target.display
    return str(target)


def record(
    actor: User | None,
    action: AuditAction,
    target: Any,
    summary: str = "",
    reason: str | None = None,
) -> AuditEntry:
    """Add an audit entry to the session; it is committed with the change it describes.

    `target` is a model instance, or a plain string naming what changed as a whole ("municipalities")."""
    db.session.flush()  # targets created in this transaction need their ids
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        actor_label=_label(actor) if actor is not None else "system",
        action=action,
        target_type=target if isinstance(target, str) else type(target).__name__.lower(),
        target_id=getattr(target, "id", None),
        target_label=_label(target)[:300],
        summary=summary,
        reason=reason,
    )
    db.session.add(entry)
    return entry

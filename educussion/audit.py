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


def _real(thing: Any) -> Any:
    """The object behind a proxy such as flask_login.current_user (its type is the real target type)."""
    get = getattr(thing, "_get_current_object", None)
    return get() if callable(get) else thing


def record(
    actor: User | None,
    action: AuditAction,
    target: Any,
    summary: str = "",
    reason: str | None = None,
    params: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry to the session; it is committed with the change it describes.

    `target` is a model instance, or a plain string naming what changed as a whole ("municipalities").
    `params` are the facts of the action as plain JSON data (numbers, codes, names: never translated text);
    the log renders its summary from them in the reader's language (auditlog.labels). `summary` is free
    text for an action that has no renderer yet; an entry with neither stores params {}."""
    actor, target = _real(actor), _real(target)
    db.session.flush()  # targets created in this transaction need their ids
    if params is None and not summary:
        params = {}
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        actor_label=_label(actor) if actor is not None else "system",
        action=action,
        target_type=target if isinstance(target, str) else type(target).__name__.lower(),
        target_id=getattr(target, "id", None),
        target_label=_label(target)[:300],
        summary=summary,
        reason=reason,
        params=params,
    )
    db.session.add(entry)
    return entry

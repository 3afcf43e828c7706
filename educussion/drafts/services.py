"""Keep, attach and remove drafts.

A draft is the member's private scratch text, saved every few seconds while typing: it is not a change of
the board, so it writes no audit entry (the post made from it does)."""
from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..database import unit_of_work
from ..errors import InvalidInput
from ..extensions import db
from ..limits import MAX_DRAFT_LENGTH, count_chars, too_long_message
from ..models import Draft, DraftKind, User, utcnow

# A draft typed while logged out waits this long for its author to log in again.
ANONYMOUS_DRAFT_HOURS = 24


def _check(title: str, body: str) -> None:
    for field, name, value in (("title", _("Title"), title), ("body", _("Body"), body)):
        if count_chars(value) > MAX_DRAFT_LENGTH:
            raise InvalidInput(field, too_long_message(name, MAX_DRAFT_LENGTH, count_chars(value)))


def _owner(actor: User | None, anonymous_token: str | None) -> dict:
    if actor is not None:
        return {"user_id": actor.id}
    if not anonymous_token:
        raise ValueError("a draft belongs to a member or to an anonymous token")
    return {"user_id": None, "anonymous_token": anonymous_token}


def save_draft(kind: DraftKind, target: str, *, actor: User | None, title: str = "", body: str = "",
               anonymous_token: str | None = None) -> Draft | None:
    """Keep what was typed for this form (all of it: drafts are not cut to the posting limits).
    Empty text removes the draft. Returns the draft, or None when there is nothing to keep."""
    kind = DraftKind(kind)
    title, body = title or "", body or ""
    _check(title, body)
    owner = _owner(actor, anonymous_token)
    for attempt in range(2):
        try:
            with unit_of_work():
                draft = db.session.execute(
                    select(Draft).filter_by(kind=kind, target=str(target), **owner)).scalar_one_or_none()
                if not title.strip() and not body.strip():
                    if draft is not None:
                        db.session.delete(draft)
                    return None
                if draft is None:
                    draft = Draft(kind=kind, target=str(target), **owner)
                    db.session.add(draft)
                draft.title, draft.body, draft.updated_at = title, body, utcnow()
                if actor is None:
                    _purge_old_anonymous()
            return draft
        except IntegrityError:  # a concurrent autosave inserted the same draft first: update it
            if attempt:
                raise
    return None


def remove_draft(actor: User, kind: DraftKind, target: str) -> None:
    """Inside the caller's transaction: the text has been posted, its draft goes."""
    db.session.execute(delete(Draft).where(Draft.user_id == actor.id, Draft.kind == DraftKind(kind),
                                           Draft.target == str(target)))


def discard_draft(actor: User, kind: DraftKind, target: str) -> None:
    with unit_of_work():
        remove_draft(actor, kind, target)


def attach_anonymous_drafts(user: User, anonymous_token: str) -> int:
    """After log-in: the drafts typed while logged out become the member's (newer text wins)."""
    with unit_of_work():
        waiting = db.session.execute(
            select(Draft).filter_by(user_id=None, anonymous_token=anonymous_token)).scalars().all()
        for draft in waiting:
            remove_draft(user, draft.kind, draft.target)
        db.session.flush()
        for draft in waiting:
            draft.user_id, draft.anonymous_token = user.id, None
    return len(waiting)


def _purge_old_anonymous() -> None:
    cutoff = utcnow() - timedelta(hours=ANONYMOUS_DRAFT_HOURS)
    db.session.execute(delete(Draft).where(Draft.user_id.is_(None), Draft.updated_at < cutoff))

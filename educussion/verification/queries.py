"""Read-only lookups for verification pages."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Invitation, Organisation, RequestStatus, Role, VerificationRequest, utcnow


def latest_request(user_id: int) -> VerificationRequest | None:
    return db.session.execute(
        select(VerificationRequest).options(joinedload(VerificationRequest.organisation))
        .filter_by(user_id=user_id).order_by(VerificationRequest.id.desc()).limit(1)
    ).scalar()


def pending_requests(*, role: str | None = None, prefecture: str | None = None,
                     older_than_days: int | None = None) -> list[VerificationRequest]:
    """The secretariat's queue, oldest first."""
    query = (
        select(VerificationRequest)
        .options(joinedload(VerificationRequest.user), joinedload(VerificationRequest.organisation))
        .where(VerificationRequest.status == RequestStatus.PENDING)
        .order_by(VerificationRequest.created_at, VerificationRequest.id)
    )
    if role in {r.value for r in Role}:
        query = query.where(VerificationRequest.role == Role(role))
    if prefecture:
        query = query.join(Organisation, VerificationRequest.organisation_id == Organisation.id).where(
            Organisation.prefecture == prefecture)
    if older_than_days:
        query = query.where(VerificationRequest.created_at <= utcnow() - timedelta(days=older_than_days))
    return list(db.session.execute(query).scalars())


def pending_count() -> int:
    from sqlalchemy import func

    return db.session.execute(
        select(func.count(VerificationRequest.id)).where(VerificationRequest.status == RequestStatus.PENDING)
    ).scalar_one()


def request_by_id(request_id: int) -> VerificationRequest | None:
    return db.session.execute(
        select(VerificationRequest)
        .options(joinedload(VerificationRequest.user), joinedload(VerificationRequest.organisation))
        .filter_by(id=request_id)
    ).scalar()


def recent_invitations(limit: int = 50) -> list[Invitation]:
    return list(db.session.execute(
        select(Invitation).options(joinedload(Invitation.organisation)).order_by(Invitation.id.desc()).limit(limit)
    ).scalars())

"""Read-only lookups: municipalities by code, name or e-mail domain; organisation pages."""
from __future__ import annotations

import unicodedata

from sqlalchemy import case, or_, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Organisation, OrganisationKind, Post, Thread, User, Verification, Visibility
from .codes import domain_hint_labels, load_municipalities, normalise_municipality_code


def _katakana(text: str) -> str:
    """Hiragana → katakana, so that たく finds タク in the readings."""
    return "".join(chr(ord(ch) + 0x60) if "ぁ" <= ch <= "ゖ" else ch for ch in text)


def municipality_by_code(raw: str) -> Organisation | None:
    """The municipality for a 5- or 6-digit code (check digit verified), or None."""
    try:
        code = normalise_municipality_code(raw)
    except ValueError:
        return None
    return db.session.execute(select(Organisation).filter_by(municipality_code=code)).scalar()


def search_municipalities(text: str, limit: int = 30) -> list[Organisation]:
    """Municipalities whose code, name or reading matches; exact names first."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not text:
        return []
    if text.replace("-", "").isdigit():
        found = municipality_by_code(text)
        return [found] if found else []
    kana = _katakana(text)
    query = (
        select(Organisation)
        .where(
            Organisation.municipality_code.is_not(None),
            or_(
                Organisation.name.contains(text, autoescape=True),
                Organisation.kana.contains(kana, autoescape=True),
                (Organisation.prefecture + Organisation.name).contains(text, autoescape=True),
            ),
        )
        .order_by(case((Organisation.name == text, 0), else_=1), Organisation.municipality_code)
        .limit(limit)
    )
    return list(db.session.execute(query).scalars())


def municipalities_for_email(email: str) -> list[Organisation]:
    """Municipalities an address like x@city.taku.lg.jp may belong to (a hint, never proof)."""
    labels = set(domain_hint_labels(email))
    if not labels:
        return []
    domain = email.rpartition("@")[2].lower()
    wants_prefecture = domain.startswith("pref.") or ".pref." in domain
    codes = [
        m.code for m in load_municipalities()
        if m.romaji in labels and (m.kind == "prefecture") == wants_prefecture
    ]
    if not codes:
        return []
    query = select(Organisation).where(Organisation.municipality_code.in_(codes)).order_by(
        Organisation.municipality_code)
    return list(db.session.execute(query).scalars())


def user_by_id(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def organisation_by_id(organisation_id: int) -> Organisation | None:
    return db.session.get(Organisation, organisation_id)


def find_organisation(name: str, kind: OrganisationKind, corporate_number: str | None = None) -> Organisation | None:
    if corporate_number:
        found = db.session.execute(select(Organisation).filter_by(corporate_number=corporate_number)).scalar()
        if found is not None:
            return found
    return db.session.execute(
        select(Organisation).filter_by(name=name, kind=kind, municipality_code=None)
    ).scalar()


def members(organisation: Organisation) -> tuple[list[Verification], list[Verification]]:
    """(current, former) verifications of the organisation's members, newest first."""
    rows = db.session.execute(
        select(Verification)
        .options(joinedload(Verification.user), joinedload(Verification.organisation))
        .where(Verification.organisation_id == organisation.id)
        .order_by(Verification.started_at.desc())
    ).scalars().all()
    return [v for v in rows if v.ended_at is None], [v for v in rows if v.ended_at is not None]


def threads_by_members(organisation: Organisation, limit: int = 20) -> list[Thread]:
    """Threads opened by someone speaking for this organisation at the time (the post's snapshot)."""
    opened_here = (
        select(Post.thread_id)
        .join(Verification, Verification.user_id == Post.author_id)
        .where(
            Post.position == 1,
            Verification.organisation_id == organisation.id,
            Verification.started_at <= Post.created_at,
            or_(Verification.ended_at.is_(None), Verification.ended_at > Post.created_at),
        )
    )
    query = (
        select(Thread)
        .where(Thread.id.in_(opened_here), Thread.status == Visibility.VISIBLE)
        .options(joinedload(Thread.theme), joinedload(Thread.opening_post).joinedload(Post.author))
        .order_by(Thread.last_posted_at.desc())
        .limit(limit)
    )
    return list(db.session.execute(query).unique().scalars())


def verification_history(user: User) -> list[Verification]:
    return list(db.session.execute(
        select(Verification).options(joinedload(Verification.organisation))
        .filter_by(user_id=user.id).order_by(Verification.started_at.desc())
    ).scalars())

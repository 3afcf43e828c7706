"""make_* helpers: users of every role, threads and posts in one line."""
from __future__ import annotations

import itertools

from argon2 import PasswordHasher

from educussion.board import services as board_services
from educussion.extensions import db
from educussion.models import Organisation, Role, Theme, Thread, User, Verification, utcnow
from sqlalchemy import select

PASSWORD = "correct horse battery"
_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
_counter = itertools.count(1)

DEFAULT_AFFILIATION = {
    Role.MAYOR: ("多久市", "市長"),
    Role.MUNICIPAL_STAFF: ("多久市教育委員会", "学校教育課 主査"),
    Role.COMPANY: ("テスト教育システム株式会社", "営業部長"),
    Role.ACADEMIC: ("テスト大学", "教育学部 教授"),
    Role.SECRETARIAT: ("全国ICT教育首長協議会 事務局", "事務局員"),
}


def make_user(role: Role | str | None = Role.MAYOR, *, email=None, name=None, organisation=None, title=None,
              verified=True, confirmed=True, **extra) -> User:
    """A user; `role=None` (or verified=False) makes an unverified account; confirmed=False leaves the
    e-mail address unconfirmed."""
    n = next(_counter)
    role = Role(role) if role is not None else None
    default_org, default_title = DEFAULT_AFFILIATION.get(role, ("", ""))
    org_name = organisation if organisation is not None else default_org
    org = None
    if org_name:
        named = select(Organisation).filter_by(name=org_name).order_by(Organisation.id)
        org = db.session.execute(named).scalars().first()
        org = org or Organisation(name=org_name)
    user = User(
        email=email or f"user{n}@example.jp",
        password_hash=_HASH,
        display_name=name or f"利用者 {n}号",
        role=role,
        organisation=org,
        title=title if title is not None else default_title,
        verified_at=utcnow() if (verified and role is not None) else None,
        email_confirmed_at=utcnow() if confirmed else None,
        **extra,
    )
    db.session.add(user)
    if user.verified_at is not None and org is not None:
        db.session.add(Verification(user=user, organisation=org, role=role, title=user.title,
                                    started_at=user.verified_at))
    db.session.commit()
    return user


def theme(slug: str = "infrastructure") -> Theme:
    return db.session.execute(select(Theme).filter_by(slug=slug)).scalar_one()


def make_thread(*, author: User | None = None, theme_slug: str = "infrastructure", title: str | None = None,
                body: str = "端末更新の費用負担について意見を伺いたいです。", replies: int = 0,
                repliers: list[User] | None = None) -> Thread:
    author = author or make_user(Role.MAYOR)
    thread = board_services.create_thread(
        theme(theme_slug), actor=author, title=title or f"スレッド {next(_counter)}", body=body
    )
    repliers = repliers or [author]
    for i in range(replies):
        board_services.create_reply(thread, actor=repliers[i % len(repliers)], body=f"返信 {i + 1} です。")
    return db.session.get(Thread, thread.id)


def make_post(thread: Thread, *, author: User | None = None, body: str = "返信です。"):
    return board_services.create_reply(thread, actor=author or make_user(Role.COMPANY), body=body)

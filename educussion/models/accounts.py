"""Accounts: users, their roles and organisations."""
from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, Text, event, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..handles import handle_from_email
from .types import UTCDateTime, str_enum, utcnow

if TYPE_CHECKING:
    from .moderation import ThemeModerator


class Role(str, enum.Enum):
    MAYOR = "mayor"
    MUNICIPAL_STAFF = "municipal_staff"
    COMPANY = "company"
    ACADEMIC = "academic"
    SECRETARIAT = "secretariat"
    SITE_EDITOR = "site_editor"  # 広報担当: edits the council's news and documents; no moderation

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.MAYOR: _l("Mayor"),
    Role.MUNICIPAL_STAFF: _l("Municipal staff"),
    Role.COMPANY: _l("Company"),
    Role.ACADEMIC: _l("Academic"),
    Role.SECRETARIAT: _l("Secretariat"),
    Role.SITE_EDITOR: _l("Site editor"),
}


def format_affiliation(organisation: str | None, title: str | None) -> str:
    """Organisation then title, the Japanese way: 多久市 + 市長 → 多久市長; 〇〇株式会社 営業部長."""
    organisation = (organisation or "").strip()
    title = (title or "").strip()
    if not organisation or not title:
        return organisation or title
    if title in {"市長", "町長", "村長", "区長"} and organisation.endswith(title[0]):
        return organisation + title[1:]
    if title == "知事":
        return organisation + title
    if title.startswith("教育委員会") and organisation.endswith(("市", "町", "村", "区", "都", "道", "府", "県")):
        return organisation + title  # 多久市 + 教育委員会 学校教育課 主査 → 多久市教育委員会 学校教育課 主査
    return f"{organisation} {title}"


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class OrganisationKind(str, enum.Enum):
    LOCAL_GOVERNMENT = "local_government"  # 地方公共団体: a prefecture or a municipality
    COMPANY = "company"
    UNIVERSITY = "university"  # 大学・研究機関
    OTHER = "other"  # その他団体
    SECRETARIAT = "secretariat"


ORGANISATION_KIND_LABELS = {
    OrganisationKind.LOCAL_GOVERNMENT: _l("Local government"),
    OrganisationKind.COMPANY: _l("Company"),
    OrganisationKind.UNIVERSITY: _l("University or research institute"),
    OrganisationKind.OTHER: _l("Other organisation"),
    OrganisationKind.SECRETARIAT: _l("Secretariat"),
}


class Organisation(db.Model):
    """An organisation members speak for. Municipalities come from the official code list."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrganisationKind] = mapped_column(str_enum(OrganisationKind), default=OrganisationKind.OTHER)
    name: Mapped[str] = mapped_column(String(200), index=True)
    kana: Mapped[str] = mapped_column(String(200), default="")
    # 全国地方公共団体コード (6 digits with check digit) and what the list says of it.
    municipality_code: Mapped[str | None] = mapped_column(String(6), unique=True)
    prefecture: Mapped[str] = mapped_column(String(8), default="", index=True)
    municipality_kind: Mapped[str | None] = mapped_column(String(16))  # prefecture/city/town/village/special_ward
    corporate_number: Mapped[str | None] = mapped_column(String(13), unique=True)  # 法人番号
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[User]] = relationship(back_populates="organisation")

    @property
    def is_municipality(self) -> bool:
        return self.municipality_code is not None

    @property
    def display_name(self) -> str:
        """The name, with the prefecture where it tells namesakes apart (府中市（東京都）)."""
        if self.is_municipality and self.municipality_kind != "prefecture":
            return f"{self.name}（{self.prefecture}）"
        return self.name


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(100))
    # What others type after @ to mention this member (ASCII, unique; set from the e-mail address).
    handle: Mapped[str | None] = mapped_column(String(40), unique=True)
    role: Mapped[Role | None] = mapped_column(str_enum(Role))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(100), default="")
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locale: Mapped[str | None] = mapped_column(String(8))
    is_demo: Mapped[bool] = mapped_column(default=False)
    # Flask-Login's id: rotating it (password change) ends every session and "remember me" cookie.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # 利用停止: set with the reason; it ends by itself once `suspended_until` has passed (None: indefinite).
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspension_reason: Mapped[str | None] = mapped_column(Text)
    # Kept by SQL expressions with each notification, so the header needs no query.
    unread_notifications: Mapped[int] = mapped_column(default=0)

    organisation: Mapped[Organisation | None] = relationship(back_populates="members")
    moderated_themes: Mapped[list[ThemeModerator]] = relationship(
        primaryjoin="and_(ThemeModerator.user_id == User.id, ThemeModerator.revoked_at.is_(None))",
        foreign_keys="ThemeModerator.user_id",
        viewonly=True,
    )

    # The secret of the log-in session this request runs in (set by accounts.sessions; not a column).
    login_secret = None  # str | None

    def get_id(self) -> str:
        """What the session and "remember me" cookies carry: session_token.secret of this log-in (see
        LoginSession); rotating session_token still ends every one of them. A bare session_token (cookies
        from before log-in sessions existed) is still read, and its log-out rotates the token."""
        return f"{self.session_token}.{self.login_secret}" if self.login_secret else self.session_token

    @property
    def is_suspended(self) -> bool:
        if self.suspended_at is None:
            return False
        return self.suspended_until is None or self.suspended_until > utcnow()

    @property
    def moderated_theme_ids(self) -> set[int]:
        return {grant.theme_id for grant in self.moderated_themes}

    @property
    def is_verified(self) -> bool:
        return self.role is not None and self.verified_at is not None

    @property
    def organisation_name(self) -> str:
        return self.organisation.name if self.organisation else ""

    @property
    def affiliation(self) -> str:
        return format_affiliation(self.organisation_name, self.title)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class Verification(db.Model):
    """One period in which a user spoke for an organisation in a role (the office, not just the person).

    The user's current role, organisation and title are also kept on the user row for fast display;
    this table keeps the history: former mayors stay listed as 「前 多久市長」 on the organisation page."""

    __tablename__ = "verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role))
    title: Mapped[str] = mapped_column(String(100), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    end_reason: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    organisation: Mapped[Organisation] = relationship()

    @property
    def affiliation(self) -> str:
        return format_affiliation(self.organisation.name, self.title)


@event.listens_for(User, "before_insert")
def _give_a_handle(_mapper, connection, user: User) -> None:
    """Every member can be mentioned: the handle comes from the e-mail address, made unique."""
    if user.handle:
        return
    users = User.__table__

    def taken(candidate: str) -> bool:
        return connection.execute(select(users.c.id).where(users.c.handle == candidate)).first() is not None

    user.handle = handle_from_email(user.email, taken)

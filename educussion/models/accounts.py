"""Accounts: users, their roles and organisations."""
from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, str_enum, utcnow


class Role(str, enum.Enum):
    MAYOR = "mayor"
    MUNICIPAL_STAFF = "municipal_staff"
    COMPANY = "company"
    ACADEMIC = "academic"
    SECRETARIAT = "secretariat"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.MAYOR: _l("Mayor"),
    Role.MUNICIPAL_STAFF: _l("Municipal staff"),
    Role.COMPANY: _l("Company"),
    Role.ACADEMIC: _l("Academic"),
    Role.SECRETARIAT: _l("Secretariat"),
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
    return f"{organisation} {title}"


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[User]] = relationship(back_populates="organisation")


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role | None] = mapped_column(str_enum(Role))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(100), default="")
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locale: Mapped[str | None] = mapped_column(String(8))
    is_demo: Mapped[bool] = mapped_column(default=False)
    # Flask-Login's id: rotating it (password change) ends every session and "remember me" cookie.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation | None] = relationship(back_populates="members")

    def get_id(self) -> str:
        return self.session_token

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

"""Account changes: registration, log-in checks, profiles, passwords and roles."""
from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import audit
from ..database import write_transaction
from ..errors import InvalidInput, PermissionDenied
from ..extensions import db
from ..models import AuditAction, Organisation, Role, User, new_session_token, utcnow
from ..permissions import is_secretariat
from .passwords import dummy_verify, hash_password, needs_rehash, verify_password

MIN_PASSWORD_LENGTH = 10
MAX_NAME_LENGTH = 100
DEFAULT_SECRETARIAT_ORGANISATION = "全国ICT教育首長協議会 事務局"


@dataclass(frozen=True)
class Registration:
    email: str
    password: str
    display_name: str
    locale: str | None = None


def normalise_email(email: str, field: str = "email") -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise InvalidInput(field, _("The e-mail address is not in a valid format.")) from None


def _check_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(field, _("Use at least %(count)d characters.", count=MIN_PASSWORD_LENGTH))


def _check_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("display_name", _("Please enter your name."))
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput("display_name", _("Use at most %(count)d characters.", count=MAX_NAME_LENGTH))
    return name


def find_user_by_email(email: str) -> User | None:
    return db.session.execute(select(User).where(func.lower(User.email) == email.strip().lower())).scalar()


def register_user(registration: Registration) -> User:
    """Create an unverified account: it can read and edit its profile, not post."""
    email = normalise_email(registration.email)
    _check_password(registration.password)
    name = _check_name(registration.display_name)
    with write_transaction():
        if find_user_by_email(email) is not None:
            raise InvalidInput("email", _("An account with this e-mail address already exists."))
        user = User(
            email=email,
            password_hash=hash_password(registration.password),
            display_name=name,
            locale=registration.locale,
        )
        db.session.add(user)
        audit.record(user, AuditAction.USER_REGISTERED, user, summary="registered")
    return user


def authenticate(email: str, password: str) -> User | None:
    """The account for these credentials, or None; upgrades an outdated hash on the way."""
    user = find_user_by_email(email)
    if user is None:
        dummy_verify(password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        with write_transaction():
            user.password_hash = hash_password(password)
    return user


def update_profile(user: User, *, actor: User, display_name: str, locale: str | None) -> User:
    if actor.id != user.id:
        raise PermissionDenied(_("You can only change your own profile."))
    name = _check_name(display_name)
    with write_transaction():
        user.display_name = name
        user.locale = locale or None
        audit.record(actor, AuditAction.USER_PROFILE_UPDATED, user, summary="profile updated")
    return user


def change_password(user: User, *, actor: User, current_password: str, new_password: str) -> User:
    """Set a new password; every other session and "remember me" cookie stops working."""
    if actor.id != user.id:
        raise PermissionDenied(_("You can only change your own password."))
    if not verify_password(user.password_hash, current_password):
        raise InvalidInput("current_password", _("The current password is not correct."))
    _check_password(new_password, "new_password")
    with write_transaction():
        user.password_hash = hash_password(new_password)
        user.session_token = new_session_token()
        audit.record(actor, AuditAction.USER_PASSWORD_CHANGED, user, summary="password changed")
    return user


def get_or_create_organisation(name: str) -> Organisation:
    name = " ".join(name.split())
    organisation = db.session.execute(select(Organisation).filter_by(name=name)).scalar()
    if organisation is None:
        organisation = Organisation(name=name)
        db.session.add(organisation)
    return organisation


def set_role(
    user: User,
    *,
    actor: User | None,
    role: Role,
    organisation: str,
    title: str = "",
    reason: str | None = None,
) -> User:
    """Verify an account with its role, organisation and title (the secretariat; `actor=None` is the CLI)."""
    if actor is not None and not is_secretariat(actor):
        raise PermissionDenied(_("Only the secretariat can set roles."))
    if not organisation.strip():
        raise InvalidInput("organisation", _("Please enter the organisation."))
    with write_transaction():
        user.role = role
        user.organisation = get_or_create_organisation(organisation)
        user.title = " ".join(title.split())
        user.verified_at = user.verified_at or utcnow()
        audit.record(
            actor,
            AuditAction.USER_ROLE_SET,
            user,
            summary=f"role={role.value} organisation={user.organisation.name} title={user.title}",
            reason=reason,
        )
    return user


def create_secretariat(
    email: str, password: str, display_name: str, *, title: str = "", organisation: str | None = None
) -> User:
    """A verified secretariat account, for `flask accounts create-secretariat`."""
    user = register_user(Registration(email=email, password=password, display_name=display_name))
    return set_role(
        user,
        actor=None,
        role=Role.SECRETARIAT,
        organisation=organisation or DEFAULT_SECRETARIAT_ORGANISATION,
        title=title,
    )



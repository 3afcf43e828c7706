"""Account changes: registration, log-in checks, profiles, passwords and roles."""
from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import audit, mail
from ..database import write_transaction
from ..errors import InvalidInput, PermissionDenied
from ..extensions import db
from ..models import AuditAction, Role, User, new_session_token, utcnow
from ..models import OutgoingMail
from ..urls import absolute_url
from . import throttle, tokens
from .passwords import dummy_verify, hash_password, needs_rehash, verify_password

MIN_PASSWORD_LENGTH = 10
MAX_NAME_LENGTH = 100
DEFAULT_SECRETARIAT_ORGANISATION = "全国ICT教育首長協議会 事務局"
MAIL_INTERVAL = timedelta(minutes=1)  # at most one account mail a minute to an address


@dataclass(frozen=True)
class Registration:
    email: str
    password: str
    display_name: str
    locale: str | None = None
    # The address is already known to work (an invitation link, the CLI, demo data): no confirmation mail.
    email_confirmed: bool = False


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
    """Create an unverified account (it can read and edit its profile, not post) and mail the link that
    confirms its address."""
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
            email_confirmed_at=utcnow() if registration.email_confirmed else None,
        )
        db.session.add(user)
        audit.record(user, AuditAction.USER_REGISTERED, user, params={})
        if not registration.email_confirmed:
            _queue_confirmation_mail(user)
    mail.send_queued()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The account for these credentials, or None; upgrades an outdated hash on the way.

    Failures are counted per address typed, registered or not (throttle.py): while the address is
    locked even the right password is refused with TooManyAttempts, and a success clears the count.
    """
    had_failures = throttle.check(email)
    user = find_user_by_email(email)
    if user is None:
        dummy_verify(password)
        throttle.record_failure(email)
        return None
    if not verify_password(user.password_hash, password):
        throttle.record_failure(email)
        return None
    rehash = needs_rehash(user.password_hash)
    if had_failures or rehash:
        with write_transaction():
            throttle.clear(email)
            if rehash:
                user.password_hash = hash_password(password)
    return user


def update_profile(user: User, *, actor: User, display_name: str, locale: str | None) -> User:
    if actor.id != user.id:
        raise PermissionDenied(_("You can only change your own profile."))
    name = _check_name(display_name)
    with write_transaction():
        user.display_name = name
        user.locale = locale or None
        audit.record(actor, AuditAction.USER_PROFILE_UPDATED, user, params={})
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
        audit.record(actor, AuditAction.USER_PASSWORD_CHANGED, user, params={})
    return user


# --- E-mail confirmation and password reset by mail -------------------------------------------------

def confirm_email(token: str) -> tuple[User, bool]:
    """Confirm the address of the account in a mailed link; (user, False) when it was already confirmed."""
    claims = _read_token(tokens.read_confirm_token, token, expired=_("This confirmation link has expired."))
    invalid = _("This confirmation link is not valid. It may be incomplete, or the e-mail address of the "
                "account has changed since it was sent.")
    with write_transaction():
        user = _token_user(claims, lambda u: u.email, invalid)
        if user.email_confirmed_at is not None:
            return user, False
        user.email_confirmed_at = utcnow()
        audit.record(user, AuditAction.USER_EMAIL_CONFIRMED, user, params={})
    return user, True


def resend_confirmation(user: User, *, actor: User) -> User:
    """Mail a new confirmation link, at most once a minute."""
    if actor.id != user.id:
        raise PermissionDenied(_("You can only ask for your own confirmation mail."))
    with write_transaction():
        db.session.refresh(user, with_for_update=True)  # two clicks at once send one mail
        if user.email_confirmed_at is not None:
            raise InvalidInput(None, _("Your e-mail address is already confirmed."))
        if _mailed_recently(user.email):
            raise InvalidInput(None, _("We sent you a mail less than a minute ago. Please look for it in "
                                       "your inbox (and spam folder), or ask again in a minute."))
        _queue_confirmation_mail(user)
    mail.send_queued()
    return user


def request_password_reset(email: str) -> None:
    """Mail a link to reset the password when an account has this address; says nothing either way."""
    address = normalise_email(email)
    user = find_user_by_email(address)
    if user is None:
        return
    with write_transaction():
        db.session.refresh(user, with_for_update=True)
        if _mailed_recently(user.email):
            return  # the mail sent a moment ago is on its way; don't let the form flood a mailbox
        url = absolute_url("accounts.reset_password", token=tokens.make_reset_token(user))
        with _language_of(user):
            mail.queue(user.email, _("Reset your password (Educussion board)"), _mail_body(user, [
                _("We have received a request to reset the password of your account on the Educussion "
                  "board."),
                _("To choose a new password, open this link:") + "\n" + url,
                _("The link expires in %(duration)s and works only once.",
                  duration=_duration(current_app.config["PASSWORD_RESET_MAX_AGE"])),
                _("If you did not ask for this, please ignore this mail: your password stays as it is."),
            ]))
    mail.send_queued()


def check_reset_token(token: str) -> User:
    """The account whose password a mailed link may reset (InvalidInput when expired, used or broken)."""
    return _token_user(_reset_claims(token), lambda u: u.password_hash, _reset_link_invalid(), lock=False)


def reset_password(token: str, new_password: str) -> User:
    """Set a new password from a mailed link: the link then stops working and every device is logged out."""
    claims = _reset_claims(token)
    _token_user(claims, lambda u: u.password_hash, _reset_link_invalid(), lock=False)  # the link first
    _check_password(new_password, "password")
    password_hash = hash_password(new_password)  # slow on purpose: not while holding the write lock
    with write_transaction():
        # Checked again under the row lock: of two submissions of one link, only the first sets a password.
        user = _token_user(claims, lambda u: u.password_hash, _reset_link_invalid())
        user.password_hash = password_hash
        user.session_token = new_session_token()
        throttle.clear(user.email)
        audit.record(user, AuditAction.USER_PASSWORD_RESET, user, params={})
        if user.email_confirmed_at is None:  # the link came through the mailbox: the address works
            user.email_confirmed_at = utcnow()
            audit.record(user, AuditAction.USER_EMAIL_CONFIRMED, user, params={"by": "password_reset"})
    return user


def _reset_claims(token: str) -> tokens.TokenClaims:
    expired = _("This link to reset your password has expired.")
    return _read_token(tokens.read_reset_token, token, expired=expired)


def _reset_link_invalid() -> str:
    return _("This link to reset your password is not valid or has already been used.")


def _read_token(read: Callable[[str], tokens.TokenClaims], token: str, *, expired: str) -> tokens.TokenClaims:
    try:
        return read(token)
    except tokens.BadToken as error:
        if error.expired:
            raise InvalidInput(None, expired) from None
        message = _("This link is not valid. Please check that it was copied completely.")
        raise InvalidInput(None, message) from None


def _token_user(
    claims: tokens.TokenClaims, value: Callable[[User], str], invalid: str, *, lock: bool = True
) -> User:
    """The token's account, if what the token was made from has not changed since (row locked to write)."""
    lock_row = True if lock else None
    user = db.session.get(User, claims.user_id, populate_existing=True, with_for_update=lock_row)
    if user is None or tokens.fingerprint(value(user)) != claims.fingerprint:
        raise InvalidInput(None, invalid)
    return user


def _mailed_recently(address: str) -> bool:
    latest = db.session.execute(
        select(OutgoingMail.created_at)
        .where(OutgoingMail.recipient == address)
        .order_by(OutgoingMail.id.desc())
        .limit(1)
    ).scalar()
    return latest is not None and latest > utcnow() - MAIL_INTERVAL


def _queue_confirmation_mail(user: User) -> None:
    db.session.flush()  # the link needs the account's id
    url = absolute_url("accounts.confirm_email", token=tokens.make_confirm_token(user))
    with _language_of(user):
        mail.queue(user.email, _("Please confirm your e-mail address (Educussion board)"), _mail_body(user, [
            _("Thank you for registering with the Educussion board, where the members of the National ICT "
              "Education Mayors' Council — mayors, municipal staff, companies and academics — discuss ICT in "
              "schools."),
            _("Please confirm your e-mail address by opening this link:") + "\n" + url,
            _("The link expires in %(duration)s.",
              duration=_duration(current_app.config["EMAIL_CONFIRM_MAX_AGE"])),
            _("If you did not register, please ignore this mail."),
        ]))


def _language_of(user: User) -> AbstractContextManager:
    """Mails speak the account's language when it chose one, else the language of the page in use."""
    return force_locale(user.locale) if user.locale else nullcontext()


def _mail_body(user: User, paragraphs: list[str]) -> str:
    greeting = _("Dear %(name)s,", name=user.display_name)
    signature = _("Educussion board — National ICT Education Mayors' Council")
    return "\n\n".join([greeting, *paragraphs, "-- \n" + signature]) + "\n"


def _duration(seconds: int) -> str:
    """3 days, 2 hours, 30 minutes: the largest whole unit, rounded up."""
    if seconds >= 86400:
        days = math.ceil(seconds / 86400)
        return ngettext("%(num)d day", "%(num)d days", days)
    if seconds >= 3600:
        hours = math.ceil(seconds / 3600)
        return ngettext("%(num)d hour", "%(num)d hours", hours)
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext("%(num)d minute", "%(num)d minutes", minutes)


def create_secretariat(
    email: str, password: str, display_name: str, *, title: str = "", organisation: str | None = None
) -> User:
    """A verified secretariat account, for `flask accounts create-secretariat`."""
    from ..verification.services import set_role

    user = register_user(Registration(email=email, password=password, display_name=display_name,
                                      email_confirmed=True))
    return set_role(
        user,
        actor=None,
        role=Role.SECRETARIAT,
        organisation=organisation or DEFAULT_SECRETARIAT_ORGANISATION,
        title=title,
    )

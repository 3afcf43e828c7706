"""Account changes: registration, log-in checks, profiles, passwords and roles."""
from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import audit, mail
from ..database import unit_of_work
from ..errors import InvalidInput, PermissionDenied
from ..extensions import db
from ..permissions import OFFICE_TITLES, can_use_office_title, office_titles_of_role
from ..models import AuditAction, Role, User, new_session_token, utcnow
from ..models import OutgoingMail
from ..urls import absolute_url
from . import sessions, throttle, tokens
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
    # The verified role the account gets at once (CLI create-secretariat): the titles it gives may be in the name.
    granted_role: Role | None = None


def normalise_email(email: str, field: str = "email") -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise InvalidInput(field, _("The e-mail address is not in a valid format.")) from None


def _check_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(field, _("Use at least %(count)d characters.", count=MIN_PASSWORD_LENGTH))


# Characters that show as nothing although they are letters or symbols (Hangul fillers, the braille blank).
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_STRIPPED_CATEGORIES = frozenset({"Cc", "Cf"})  # control and format: zero-width, bidi overrides, soft hyphen…
_NOT_A_WORD = re.compile(r"[\W_]+")


def normalise_display_name(name: str) -> str:
    """NFKC (full-width letters, half-width kana, ㈱ …); any kind of space or line break becomes one space;
    control, format and bidi characters and blank-looking fillers are dropped."""
    name = unicodedata.normalize("NFKC", name)
    kept = []
    for ch in name:
        if ch.isspace() or unicodedata.category(ch) in {"Zl", "Zp"}:
            kept.append(" ")
        elif unicodedata.category(ch) not in _STRIPPED_CATEGORIES and ch not in _BLANK_LOOKING:
            kept.append(ch)
    return " ".join("".join(kept).split())


def office_title_in(name: str) -> str | None:
    """The first office title (市長, 事務局, mayor …) a name holds, spaces and punctuation ignored for Japanese
    (「多久 市・長」), whole words for English (Mayorga is a family name)."""
    compact = _NOT_A_WORD.sub("", name).casefold()
    words = set(_NOT_A_WORD.split(name.casefold()))
    for title in OFFICE_TITLES:
        if (title in words) if title.isascii() else (title in compact):
            return title
    return None


def _check_name(name: str, user: User | None = None, granted_role: Role | None = None) -> str:
    """The display name to store: normalised; refused when empty once normalised, too long, or holding an
    office title that the (verified) member's role and organisation do not give."""
    if not name.strip():
        raise InvalidInput("display_name", _("Please enter your name."))
    name = normalise_display_name(name)
    if not name:
        raise InvalidInput("display_name", _("Please enter your name in visible characters."))
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput("display_name", _("Use at most %(count)d characters.", count=MAX_NAME_LENGTH))
    title = office_title_in(name)
    if title is not None and not (can_use_office_title(user, title) or title in office_titles_of_role(granted_role)):
        raise InvalidInput("display_name", _(
            "A name cannot contain an office title such as “%(title)s” unless the secretariat has verified it. "
            "Your role and organisation are shown beside your name once they are verified.", title=title))
    return name


class AddressTaken(InvalidInput):
    """register_user: an account has this address already (the public form never says so: sign_up)."""


def find_user_by_email(email: str) -> User | None:
    return db.session.execute(select(User).where(func.lower(User.email) == email.strip().lower())).scalar()


def register_user(registration: Registration) -> User:
    """Create an unverified account (it can read and edit its profile, not post) and mail the link that
    confirms its address. Raises AddressTaken when the address has an account (CLI, invitations)."""
    email = normalise_email(registration.email)
    _check_password(registration.password)
    name = _check_name(registration.display_name, granted_role=registration.granted_role)
    # Hashed before the check, whatever it finds, and not while holding the write lock.
    password_hash = hash_password(registration.password)
    try:
        with unit_of_work():
            if find_user_by_email(email) is not None:
                raise AddressTaken("email", _("An account with this e-mail address already exists."))
            user = User(
                email=email,
                password_hash=password_hash,
                display_name=name,
                locale=registration.locale,
                email_confirmed_at=utcnow() if registration.email_confirmed else None,
            )
            db.session.add(user)
            audit.record(user, AuditAction.USER_REGISTERED, user, params={})
            if not registration.email_confirmed:
                _queue_confirmation_mail(user)
    except IntegrityError:  # the same address registered a moment ago by another request
        raise AddressTaken("email", _("An account with this e-mail address already exists.")) from None
    return user


def sign_up(registration: Registration) -> None:
    """The public registration form: the same answer, the same work, whatever the address.

    A new address gets an account and the confirmation mail; an address that has an account gets a mail
    telling its owner so (with the links to log in and to reset the password) instead of an error that
    would tell anyone which addresses are registered. Nobody is logged in here."""
    try:
        register_user(registration)
    except AddressTaken:
        _mail_existing_owner(normalise_email(registration.email))


def _mail_existing_owner(email: str) -> None:
    with unit_of_work():
        user = find_user_by_email(email)
        if user is None or _mailed_recently(user.email):
            return
        with _language_of(user):
            mail.queue(user.email, _("Your account on the Educussion board"), _mail_body(user, [
                _("Someone, perhaps you, has just tried to register on the Educussion board with this e-mail "
                  "address. You already have an account with it, so no new account was made."),
                _("To log in, open this link:") + "\n" + absolute_url("accounts.login"),
                _("If you have forgotten your password, you can choose a new one here:") + "\n"
                + absolute_url("accounts.forgot_password"),
                _("If it was not you, please ignore this mail: nothing has changed in your account."),
            ]))


def authenticate(email: str, password: str, *, lock_exempt: bool = False) -> User | None:
    """The account for these credentials, or None; upgrades an outdated hash on the way.

    Failures are counted per address typed, registered or not (throttle.py): while the address is
    locked even the right password is refused with TooManyAttempts, and a success clears the count.
    Every attempt that is not refused costs exactly one password verification, whether or not an
    account has the address. `lock_exempt`: this browser unlocked the address through a mailed link, so
    the address's lock (which anyone can cause) neither applies nor grows; the per-client limit still does.
    """
    had_failures = False if lock_exempt else throttle.check(email)
    user = find_user_by_email(email)
    if user is None:
        dummy_verify(password)
        if not lock_exempt:
            throttle.record_failure(email)
        return None
    if not verify_password(user.password_hash, password):
        if not lock_exempt:
            throttle.record_failure(email)
        return None
    rehash = needs_rehash(user.password_hash)
    if had_failures or rehash or lock_exempt:
        with unit_of_work():
            throttle.clear(email)
            if rehash:
                user.password_hash = hash_password(password)
    return user


def open_session(user: User) -> None:
    """After the password (and, where it is on, the two-step code) was right: open a log-in session
    (sessions.py) that this browser's cookies will name."""
    sessions.start(user)


def log_in(email: str, password: str, *, lock_exempt: bool = False) -> User | None:
    """authenticate, then open a log-in session (for accounts without two-step verification)."""
    user = authenticate(email, password, lock_exempt=lock_exempt)
    if user is not None:
        open_session(user)
    return user


def log_out(user: User) -> None:
    """End this browser's session on the server: its session and "remember me" cookies stop working."""
    sessions.end(user)


def log_out_everywhere(user: User, *, actor: User) -> None:
    """End every session of the account, on every device (this one too)."""
    if actor.id != user.id:
        raise PermissionDenied(_("You can only log yourself out."))
    with unit_of_work():
        sessions.end_all(user)
        audit.record(actor, AuditAction.USER_LOGGED_OUT_EVERYWHERE, user, summary="logged out on every device")
    user.login_secret = None


def request_unlock(email: str) -> None:
    """Mail a link that unlocks log-in for an address locked after failures; says nothing either way."""
    address = normalise_email(email)
    user = find_user_by_email(address)
    if user is None or not throttle.is_locked(address):
        return
    with unit_of_work():
        db.session.refresh(user, with_for_update=True)
        if _mailed_recently(user.email):
            return
        url = absolute_url("accounts.unlock_login", token=tokens.make_unlock_token(user))
        with _language_of(user):
            mail.queue(user.email, _("Unlock logging in (Educussion board)"), _mail_body(user, [
                _("Logging in to your account was paused after several unsuccessful attempts. Someone else may "
                  "have tried your address, or a password was mistyped."),
                _("To log in again at once in the browser where you open it, open this link:") + "\n" + url,
                _("The link expires in %(duration)s. You can also simply wait until the pause ends.",
                  duration=_duration(tokens.UNLOCK_MAX_AGE)),
                _("If you did not try to log in, your password is still safe as long as it is not used "
                  "elsewhere; you may want to choose a new, long one."),
            ]))


def check_unlock_token(token: str) -> User:
    """The account a mailed unlock link is for (InvalidInput when expired, broken or out of date)."""
    claims = _read_token(tokens.read_unlock_token, token, expired=_("This link to unlock logging in has expired."))
    return _token_user(claims, _unlock_fingerprint, _unlock_link_invalid(), lock=False)


def unlock_login(token: str) -> User:
    """Clear the lock of the link's address; the view then lets this browser log in past later locks."""
    claims = _read_token(tokens.read_unlock_token, token, expired=_("This link to unlock logging in has expired."))
    with unit_of_work():
        user = _token_user(claims, _unlock_fingerprint, _unlock_link_invalid())
        throttle.clear(user.email)
        audit.record(user, AuditAction.USER_LOGIN_UNLOCKED, user, summary="log-in unlocked with a mailed link")
    return user


def _unlock_fingerprint(user: User) -> str:
    return user.email + "\n" + user.password_hash


def _unlock_link_invalid() -> str:
    return _("This link to unlock logging in is not valid. Please check that it was copied completely.")


def update_profile(user: User, *, actor: User, display_name: str, locale: str | None) -> User:
    if actor.id != user.id:
        raise PermissionDenied(_("You can only change your own profile."))
    name = _check_name(display_name, user)
    with unit_of_work():
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
    with unit_of_work():
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
    with unit_of_work():
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
    with unit_of_work():
        db.session.refresh(user, with_for_update=True)  # two clicks at once send one mail
        if user.email_confirmed_at is not None:
            raise InvalidInput(None, _("Your e-mail address is already confirmed."))
        if _mailed_recently(user.email):
            raise InvalidInput(None, _("We sent you a mail less than a minute ago. Please look for it in "
                                       "your inbox (and spam folder), or ask again in a minute."))
        _queue_confirmation_mail(user)
    return user


def request_password_reset(email: str) -> None:
    """Mail a link to reset the password when an account has this address; says nothing either way."""
    address = normalise_email(email)
    user = find_user_by_email(address)
    if user is None:
        return
    with unit_of_work():
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


def check_reset_token(token: str) -> User:
    """The account whose password a mailed link may reset (InvalidInput when expired, used or broken)."""
    return _token_user(_reset_claims(token), lambda u: u.password_hash, _reset_link_invalid(), lock=False)


def reset_password(token: str, new_password: str) -> User:
    """Set a new password from a mailed link: the link then stops working and every device is logged out."""
    claims = _reset_claims(token)
    _token_user(claims, lambda u: u.password_hash, _reset_link_invalid(), lock=False)  # the link first
    _check_password(new_password, "password")
    password_hash = hash_password(new_password)  # slow on purpose: not while holding the write lock
    with unit_of_work():
        # Checked again under the row lock: of two submissions of one link, only the first sets a password.
        user = _token_user(claims, lambda u: u.password_hash, _reset_link_invalid())
        user.password_hash = password_hash
        sessions.end_all(user)
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
    return "\n\n".join([greeting, *paragraphs]) + "\n"  # mail.queue adds the footer


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

"""Two-step verification: set-up, the second step of a log-in, turning it off, and the secretariat's reset."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import datetime, timezone

import pyotp
import segno
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, func, select, update

from .. import audit
from ..accounts import throttle
from ..database import unit_of_work
from ..errors import InvalidInput, PermissionDenied, TooManyAttempts
from ..extensions import db
from ..models import AuditAction, RecoveryCode, TwoStepSetting, User, new_session_token, utcnow
from ..permissions import can_reset_two_step

ISSUER = "エデュカッションボード"
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
DRIFT_STEPS = 1  # a phone's clock may be 30 seconds off either way


# ---------------------------------------------------------------- lookups

def setting_for(user: User) -> TwoStepSetting | None:
    return db.session.execute(
        select(TwoStepSetting).where(TwoStepSetting.user_id == user.id).execution_options(populate_existing=True)
    ).scalar()


def is_enabled(user: User) -> bool:
    return setting_for(user) is not None


def recovery_codes_left(user: User) -> int:
    return db.session.execute(
        select(func.count(RecoveryCode.id)).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).scalar_one()


# ---------------------------------------------------------------- set-up

def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code_data_uri(text: str) -> str:
    """An SVG QR code as a data: URI (the CSP allows data: images; no script needed)."""
    return segno.make(text, error="m").svg_data_uri(scale=5, border=2, dark="#000", light="#fff")


def enable(user: User, *, actor: User, secret: str, code: str) -> list[str]:
    """Turn two-step verification on once a code from the app proves it was set up; returns the ten
    recovery codes, shown this once (only their hashes are kept)."""
    if actor.id != user.id:
        raise PermissionDenied(_("You can only set up two-step verification for your own account."))
    step = _matching_step(secret, code)
    if step is None:
        raise InvalidInput("code", _wrong_code_message())
    with unit_of_work():
        if setting_for(user) is not None:
            raise InvalidInput(None, _("Two-step verification is already on for your account."))
        db.session.add(TwoStepSetting(user_id=user.id, secret=secret, last_used_step=step))
        codes = _new_recovery_codes(user)
        audit.record(actor, AuditAction.TWO_STEP_ENABLED, user, summary="two-step verification set up")
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id)
                       .execution_options(synchronize_session=False))
    codes = []
    for _number in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _i in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash_code(raw)))
    return codes


def _normalise(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def _hash_code(normalised: str) -> str:
    return hashlib.sha256(normalised.encode("ascii", "ignore")).hexdigest()


def _matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The 30-second time step whose code this is (allowing for drift), or None."""
    code = _normalise(code)
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(_at(now))
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _at(now: float | None) -> datetime:
    return datetime.fromtimestamp(time.time() if now is None else now, tz=timezone.utc)


def _wrong_code_message() -> str:
    return _("This code is not correct. Please enter the 6-digit code your authenticator app shows now "
             "(check that the phone's clock is right), or one of your recovery codes.")


# ---------------------------------------------------------------- the second step of a log-in

def _throttle_key(user: User) -> str:
    return f"two-step:{user.id}"


def _too_many(error: TooManyAttempts) -> TooManyAttempts:
    minutes = max(1, -(-error.retry_after // 60))
    message = ngettext("Too many incorrect codes. Please wait %(num)d minute and try again.",
                       "Too many incorrect codes. Please wait %(num)d minutes and try again.", minutes)
    return TooManyAttempts(message, retry_after=error.retry_after)


def verify(user: User, code: str) -> bool:
    """Check the second step of a log-in: a code from the app (each works once) or an unused recovery
    code. Returns True when a recovery code was used. Wrong codes are throttled per account like
    passwords (3 wrong: 10 seconds, 5: a minute, 10: 15 minutes)."""
    key = _throttle_key(user)
    try:
        throttle.check(key)
    except TooManyAttempts as error:
        raise _too_many(error) from None
    setting = setting_for(user)
    if setting is None:
        return False  # turned off (reset) meanwhile: the password was enough
    step = _matching_step(setting.secret, code)
    if step is not None and _use_step(user, step):
        return False
    if step is None and len(_normalise(code)) == 10 and _use_recovery_code(user, code):
        return True
    try:
        throttle.record_failure(key)
    except TooManyAttempts as error:
        raise _too_many(error) from None
    raise InvalidInput("code", _wrong_code_message())


def _use_step(user: User, step: int) -> bool:
    with unit_of_work():
        # Compared in SQL: of two log-ins with one code at once, only one gets it.
        used = db.session.execute(
            update(TwoStepSetting)
            .where(TwoStepSetting.user_id == user.id, TwoStepSetting.last_used_step < step)
            .values(last_used_step=step)
            .execution_options(synchronize_session=False)
        ).rowcount == 1
        if used:
            throttle.clear(_throttle_key(user))
    return used


def _use_recovery_code(user: User, code: str) -> bool:
    with unit_of_work():
        used = db.session.execute(
            update(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash_code(_normalise(code)),
                   RecoveryCode.used_at.is_(None))
            .values(used_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount == 1
        if used:
            throttle.clear(_throttle_key(user))
            left = recovery_codes_left(user)
            audit.record(user, AuditAction.TWO_STEP_RECOVERY_CODE_USED, user,
                         summary=f"recovery code used to log in; {left} left")
    return used


# ---------------------------------------------------------------- turning it off

def disable(user: User, *, actor: User, code: str) -> User:
    """Turn two-step verification off with a current code (or a recovery code). A role that needs it is
    sent to set it up again at once: the way to move to a new phone."""
    if actor.id != user.id:
        raise PermissionDenied(_("You can only turn off two-step verification for your own account."))
    if setting_for(user) is None:
        raise InvalidInput(None, _("Two-step verification is not on for your account."))
    verify(user, code)
    with unit_of_work():
        _remove(user)
        audit.record(actor, AuditAction.TWO_STEP_DISABLED, user, summary="two-step verification turned off")
    return user


def reset(user: User, *, actor: User, reason: str) -> User:
    """Another secretariat member turns off a member's two-step verification (a lost phone): the member's
    sessions end, and a role that needs it sets it up again at the next log-in."""
    if not can_reset_two_step(actor, user):
        raise PermissionDenied(_("Only another secretariat member can reset two-step verification."))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("reason", _("Please give a reason."))
    if len(reason) > 1000:
        raise InvalidInput("reason", _("Use at most %(count)d characters.", count=1000))
    with unit_of_work():
        if setting_for(user) is None:
            raise InvalidInput(None, _("Two-step verification is not on for this member."))
        _remove(user)
        user.session_token = new_session_token()
        audit.record(actor, AuditAction.TWO_STEP_RESET, user, summary="two-step verification reset",
                     reason=reason)
    return user


def _remove(user: User) -> None:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id)
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(TwoStepSetting).where(TwoStepSetting.user_id == user.id)
                       .execution_options(synchronize_session=False))

"""Signed, expiring tokens for the links in account mails (e-mail confirmation, password reset, unlocking
the log-in).

Tokens hold no secret and are not stored: they are signed with the app's SECRET_KEY, each kind with its
own salt, and carry short hashes of what must not have changed since they were made (the address for a
confirmation, the password hash for a reset) — so a changed address or password voids them.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..models import User

CONFIRM_SALT = "educussion.accounts.confirm-email"
RESET_SALT = "educussion.accounts.reset-password"
UNLOCK_SALT = "educussion.accounts.unlock-login"
UNLOCK_MAX_AGE = 3600


class BadToken(Exception):
    """The token is not one of ours, was tampered with, has expired or no longer fits the account."""

    def __init__(self, *, expired: bool = False):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    fingerprint: str


def fingerprint(value: str) -> str:
    """A short hash: enough to notice a change, and the value itself never appears in a URL or a log."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _dump(salt: str, user_id: int, value: str) -> str:
    return _serializer(salt).dumps({"u": user_id, "f": fingerprint(value)})


def _load(salt: str, token: str, max_age: int) -> TokenClaims:
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise BadToken(expired=True) from None
    except BadSignature:
        raise BadToken() from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("f"), str):
        raise BadToken()
    return TokenClaims(user_id=data["u"], fingerprint=data["f"])


def make_confirm_token(user: User) -> str:
    return _dump(CONFIRM_SALT, user.id, user.email)


def read_confirm_token(token: str) -> TokenClaims:
    return _load(CONFIRM_SALT, token, current_app.config["EMAIL_CONFIRM_MAX_AGE"])


def make_reset_token(user: User) -> str:
    return _dump(RESET_SALT, user.id, user.password_hash)


def read_reset_token(token: str) -> TokenClaims:
    return _load(RESET_SALT, token, current_app.config["PASSWORD_RESET_MAX_AGE"])


def make_unlock_token(user: User) -> str:
    """Unlocks log-in for this address and password (a changed address or password voids it)."""
    return _dump(UNLOCK_SALT, user.id, user.email + "\n" + user.password_hash)


def read_unlock_token(token: str) -> TokenClaims:
    return _load(UNLOCK_SALT, token, UNLOCK_MAX_AGE)

"""Password hashing with argon2id."""
from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app


def _hasher() -> PasswordHasher:
    return PasswordHasher(
        time_cost=current_app.config["PASSWORD_TIME_COST"],
        memory_cost=current_app.config["PASSWORD_MEMORY_COST"],
        parallelism=1,
        type=Type.ID,
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


# Verifying against this when no account matches keeps the response time the same.
def dummy_verify(password: str) -> None:
    verify_password(_hasher().hash("x"), password)

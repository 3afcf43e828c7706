"""Password hashing with argon2id."""
from __future__ import annotations

import secrets

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


_DUMMY_HASHES: dict[tuple[int, int], str] = {}


def dummy_verify(password: str) -> None:
    """When no account matches, spend what checking a real password costs: one verification against a
    hash of the same cost (made once per process, so this is not a hash *and* a verification)."""
    config = current_app.config
    cost = (config["PASSWORD_TIME_COST"], config["PASSWORD_MEMORY_COST"])
    if cost not in _DUMMY_HASHES:
        _DUMMY_HASHES[cost] = hash_password(secrets.token_urlsafe(16))
    verify_password(_DUMMY_HASHES[cost], password)

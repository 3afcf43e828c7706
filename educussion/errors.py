"""Domain errors raised by services (their pages are in error_pages.py)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class DomainError(Exception):
    """A rule of the board was not met; the message is shown to the user."""


class PermissionDenied(DomainError):
    """The actor may not do this."""


class InvalidInput(DomainError):
    """Input that passed the form's shape checks but breaks a rule; `field` names the form field."""

    def __init__(self, field: str | None, message: str, *, more: list[tuple[str | None, str]] | None = None):
        super().__init__(message)
        self.field = field
        self.message = message
        self.problems = [(field, message), *(more or [])]  # every field's problem, to show them all at once


class Problems:
    """Collects the InvalidInput of several checks, so that a service refuses once with every field's problem
    (「電話番号」 and 「所属団体」 together, not one per submit)."""

    def __init__(self):
        self.found: list[tuple[str | None, str]] = []

    @contextmanager
    def check(self) -> Iterator[None]:
        try:
            yield
        except InvalidInput as error:
            self.found.extend(error.problems)

    def add(self, field: str | None, message: str) -> None:
        self.found.append((field, message))

    def raise_any(self) -> None:
        if self.found:
            (field, message), *rest = self.found
            raise InvalidInput(field, message, more=rest)


class TooManyAttempts(InvalidInput):
    """Log-in refused while an address is locked after failures; shown above the form, never per field."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(None, message)
        self.retry_after = retry_after


class ForbiddenCharacter(DomainError):
    """A request carried a NUL character (PostgreSQL cannot store one, and nobody types one)."""

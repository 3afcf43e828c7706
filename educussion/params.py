"""The one safe reading of numbers from URLs and forms: a value the database cannot hold (10^20, 1e309,
-99999999999999999999) or that is not a number reads as "not given", never as a 500. Also the check that
refuses a NUL character anywhere in a request (PostgreSQL cannot store one)."""
from __future__ import annotations

from flask import request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

MAX_INT = 2**31 - 1  # the INTEGER columns' range (ids, counts, page numbers)
MIN_INT = -(2**31)


def safe_int(value, minimum: int = MIN_INT, maximum: int = MAX_INT) -> int | None:
    """`value` as an int within [minimum, maximum], else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value or "").strip()
        if not text or len(text) > 12 or not text.lstrip("+-").isdigit():
            return None
        number = int(text)
    return number if minimum <= number <= maximum else None


def int_arg(name: str, default: int | None = None, *, minimum: int = MIN_INT, maximum: int = MAX_INT) -> int | None:
    """A query parameter as an int, or `default` when it is missing, not a number or out of range."""
    number = safe_int(request.args.get(name), minimum, maximum)
    return default if number is None else number


def page_arg(default: int | None = None) -> int | None:
    """The `page` query parameter (1 or more), or `default`."""
    return int_arg("page", default, minimum=1)


def int_list(values) -> list[int]:
    """The values that are ids the database can hold (form lists such as notification ids)."""
    return [number for number in (safe_int(v, 1) for v in values) if number is not None]


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` in routes: a number beyond the INTEGER columns is "not found" (404), not a database error."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)


def _with_nul(values) -> bool:
    return any("\x00" in name or "\x00" in value for name, value in values.items(multi=True))


def strip_nul_from_query() -> bool:
    """Remove NUL characters from the query parameters (search words, filters); True if there were any.
    Nobody types one, and a filter without it means the same."""
    if not _with_nul(request.args):
        return False
    request.args = ImmutableMultiDict(
        [(name.replace("\x00", ""), value.replace("\x00", "")) for name, value in request.args.items(multi=True)])
    return True


def form_or_path_has_nul() -> bool:
    """Whether the path or a form field holds a NUL character (refused: the form's text is shown back)."""
    return "\x00" in request.path or _with_nul(request.form)

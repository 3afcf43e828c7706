"""How long typed text may be, and the one message that says so. Nothing typed is ever cut: text over a
limit is refused beside its field, with the limit and the length the user actually sent."""
from __future__ import annotations

from flask_babel import gettext as _

MAX_TITLE_LENGTH = 120
MAX_BODY_LENGTH = 20000
MAX_FILES_PER_POST = 10
# A draft keeps even text over the posting limits (so it can be shortened later), up to this size.
MAX_DRAFT_LENGTH = 10 * MAX_BODY_LENGTH


def count_chars(text: str | None) -> int:
    """Characters as the user sees them: a line break counts once (browsers send it as CR LF)."""
    return len((text or "").replace("\r\n", "\n"))


def too_long_message(field_name: str, limit: int, count: int) -> str:
    """「本文は20,000文字以内で入力してください（現在 100,000文字）。」"""
    return _("%(field)s must be at most %(limit)s characters (now %(count)s).",
             field=field_name, limit=f"{limit:,}", count=f"{count:,}")


def limit_note(limit: int) -> str:
    """Written beside a field, so the limit is known without JavaScript: 「20,000文字以内」."""
    return _("Up to %(limit)s characters", limit=f"{limit:,}")

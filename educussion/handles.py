"""Handles: what members type after @ to mention someone (ASCII, unique, from the e-mail address)."""
from __future__ import annotations

import re
from collections.abc import Callable

# @handle (or ＠handle, typed in full-width) in a post: not part of an e-mail address or a longer ASCII word.
# Only ASCII counts as "a longer word": Japanese is written without spaces (「@satoさん」「ご意見を@sato」).
MENTION_RE = re.compile(r"(?<![A-Za-z0-9_.+\-@＠])[@＠]([A-Za-z0-9_]{2,30})(?![A-Za-z0-9_@＠]|\.[A-Za-z0-9])")


def handle_from_email(email: str, taken: Callable[[str], bool]) -> str:
    """yamada.taro@city.taku.lg.jp → yamada_taro (yamada_taro2, … when taken)."""
    local = (email or "").split("@", 1)[0].lower()
    base = re.sub(r"[^a-z0-9_]+", "_", local).strip("_")[:24] or "member"
    if len(base) < 2:
        base = f"{base}_member"
    candidate, n = base, 2
    while taken(candidate):
        candidate, n = f"{base}{n}", n + 1
    return candidate


def mentioned_handles(text: str) -> list[str]:
    return list(dict.fromkeys(match.lower() for match in MENTION_RE.findall(text or "")))

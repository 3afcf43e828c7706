"""URL helpers."""
from __future__ import annotations

from urllib.parse import urlsplit


def is_safe_next(target: str | None) -> bool:
    """Only paths on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc

"""File names that came with an upload: never trusted to name a download, shown only once cleaned."""
from __future__ import annotations

import unicodedata

# Cc: control characters; Cf: format characters, which include the bidi overrides and isolates
# (U+202A–U+202E, U+2066–U+2069), zero-width spaces and joiners; Zl/Zp: line and paragraph separators.
_STRIPPED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"}


def display_name(name: str | None, limit: int = 200) -> str:
    """The uploader's file name for display: no control, format (bidi) or unassigned characters, and no
    folder part, so "invoice\u202efdp.exe" shows as "invoicefdp.exe" and cannot pass for a PDF."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in name if unicodedata.category(c) not in _STRIPPED_CATEGORIES)
    return " ".join(cleaned.split())[:limit]


def download_name(prefix: str, number: int, extension: str) -> str:
    """The name a download is served with, built from what the content was detected to be: `evidence-12.pdf`."""
    return f"{prefix}-{number}.{extension}"

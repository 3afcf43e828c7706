"""Zip archives (XLSX, DOCX, PPTX, …) checked before anything inflates them: a zip bomb is refused by
what its directory declares, and the declared sizes are enforced while reading."""
from __future__ import annotations

import io
import zipfile
from typing import BinaryIO

MAX_UNCOMPRESSED_BYTES = 20 * 1024 * 1024  # all entries together
MAX_ENTRIES = 1000
MAX_RATIO = 200  # uncompressed / compressed, per entry of some size (real XLSX: ~10–30)
RATIO_CHECKED_FROM = 1024 * 1024


class ArchiveRefused(ValueError):
    """The archive is damaged, or would inflate beyond the limits (the reason: 'damaged', 'entries', 'size',
    'ratio')."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def check_zip(source: bytes | BinaryIO, *, max_bytes: int = MAX_UNCOMPRESSED_BYTES,
              max_entries: int = MAX_ENTRIES, max_ratio: int = MAX_RATIO) -> int:
    """Read only the zip's central directory; raise ArchiveRefused when it is damaged or declares too
    many entries, too many bytes in all or an entry compressed beyond any real document. Returns the
    declared uncompressed size. Reading the entries afterwards with `zipfile` is safe: it stops with an
    error when an entry inflates past the size declared here."""
    stream = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    try:
        with zipfile.ZipFile(stream) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise ArchiveRefused("damaged") from None
    if len(entries) > max_entries:
        raise ArchiveRefused("entries")
    total = 0
    for entry in entries:
        if entry.file_size < 0 or entry.compress_size < 0:
            raise ArchiveRefused("damaged")
        total += entry.file_size
        if total > max_bytes:
            raise ArchiveRefused("size")
        if entry.file_size >= RATIO_CHECKED_FROM and entry.file_size > max_ratio * max(entry.compress_size, 1):
            raise ArchiveRefused("ratio")
    return total

"""The one place uploaded files live on disk: EDUCUSSION_FILES_DIR (default instance/files/), each content
named by its SHA-256 (`ab/ab12…`), so the same file uploaded twice is stored once.

A content is written to a temporary file, checked, then renamed into place (a reader never sees half a
file). The database rows are written after it, in the caller's unit of work: a content whose rows were
rolled back is left on disk and removed by `flask files sweep` (only once it is an hour old, and every use
of a content touches it, so a content being attached again is never swept)."""
from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from flask import current_app

CHUNK = 1024 * 1024
THUMBNAILS = "thumbnails"
TEMPORARY = "tmp"


class TooLarge(ValueError):
    """The upload is larger than the limit it was read with."""


@dataclass(frozen=True)
class Received:
    """An upload written to a temporary file, not yet in the store."""

    path: str
    sha256: str
    size: int


def root() -> str:
    return current_app.config.get("FILES_DIR") or os.path.join(current_app.instance_path, "files")


def path_for(sha256: str, folder: str | None = None) -> str:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256")
    return os.path.join(folder or root(), sha256[:2], sha256)


def thumbnail_path(sha256: str, size: int) -> str:
    path_for(sha256)  # checks the name
    return os.path.join(root(), THUMBNAILS, sha256[:2], f"{sha256}-{size}.jpg")


def receive(stream: BinaryIO, max_bytes: int) -> Received:
    """Copy `stream` into a temporary file of the store, hashing it; raises TooLarge past `max_bytes`."""
    folder = os.path.join(root(), TEMPORARY)
    os.makedirs(folder, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, path = tempfile.mkstemp(dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(max_bytes)
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        discard(path)
        raise
    return Received(path, digest.hexdigest(), size)


def discard(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def keep(received: Received) -> str:
    """Move a received file into the store under its hash (or drop it when that content is there already,
    touching the stored one); returns the hash."""
    target = path_for(received.sha256)
    if os.path.exists(target):
        discard(received.path)
        os.utime(target)  # in use again: never swept as unreferenced
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.chmod(received.path, 0o640)
        os.replace(received.path, target)
    return received.sha256


def put_bytes(content: bytes) -> str:
    """Store `content` (for code that already holds it in memory); returns its hash."""
    sha256 = hashlib.sha256(content).hexdigest()
    target = path_for(sha256)
    if os.path.exists(target):
        os.utime(target)
        return sha256
    os.makedirs(os.path.dirname(target), exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=os.path.dirname(target))
    with os.fdopen(fd, "wb") as out:
        out.write(content)
    os.replace(temporary, target)
    return sha256


def exists(sha256: str) -> bool:
    return os.path.exists(path_for(sha256))


def open_content(sha256: str) -> BinaryIO:
    return open(path_for(sha256), "rb")


def stream(sha256: str, chunk: int = CHUNK) -> Iterator[bytes]:
    with open_content(sha256) as f:
        while True:
            data = f.read(chunk)
            if not data:
                return
            yield data


def remove(sha256: str) -> bool:
    """Delete a content and its thumbnails from disk (legal erasure, or unreferenced); True if it was there."""
    removed = False
    try:
        os.unlink(path_for(sha256))
        removed = True
    except FileNotFoundError:
        pass
    folder = os.path.join(root(), THUMBNAILS, sha256[:2])
    if os.path.isdir(folder):
        for name in os.listdir(folder):
            if name.startswith(sha256):
                discard(os.path.join(folder, name))
    return removed


def stored_hashes() -> Iterator[tuple[str, float]]:
    """(hash, modification time) of every content on disk."""
    base = root()
    if not os.path.isdir(base):
        return
    for prefix in sorted(os.listdir(base)):
        folder = os.path.join(base, prefix)
        if len(prefix) != 2 or not os.path.isdir(folder):
            continue
        for name in os.listdir(folder):
            if len(name) == 64:
                yield name, os.path.getmtime(os.path.join(folder, name))


def remove_stale_temporaries(older_than: float = 3600) -> int:
    folder = os.path.join(root(), TEMPORARY)
    if not os.path.isdir(folder):
        return 0
    removed = 0
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if os.path.getmtime(path) < time.time() - older_than:
            discard(path)
            removed += 1
    return removed

"""The Whoosh index: schema, storage, the outbox drain, rebuilds and searching.

The database stays the source of truth. The index holds one document per post: ids, the words (title only
on a thread's opening post, as token frequencies without positions) and the fields the filters need;
``engine`` ranks the documents and hits are mapped back to database rows.
Storage: `<SEARCH_INDEX_DIR>/CURRENT` names the generation folder in use, so a rebuild is written beside
the live index and swapped in with one atomic rename.
"""
from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from whoosh import index as whoosh_index
from whoosh.fields import BOOLEAN, ID, NUMERIC, Schema
from whoosh.query import And, NumericRange, Query, Term

from . import engine
from .analysis import UNIGRAM_SUFFIX, field_types
from .query import ParsedQuery

BIGRAM_FIELDS = {"title": 3.0, "body": 1.0}  # the searchable texts and their BM25F boosts


def make_schema() -> Schema:
    return Schema(
        post_id=ID(stored=True, unique=True),
        thread_id=NUMERIC(stored=True),
        **field_types("title"),
        **field_types("body"),
        theme=ID,
        role=ID,
        prefecture=ID,
        status=ID,
        opening=BOOLEAN,
        visible=BOOLEAN,
        created=NUMERIC(bits=64, sortable=True, stored=True),  # microseconds since the epoch
    )


@dataclass(frozen=True)
class Document:
    post_id: int
    thread_id: int
    title: str  # "" for replies
    body: str  # plain text
    theme: str
    role: str
    prefecture: str
    status: str
    opening: bool
    visible: bool
    created: datetime

    def fields(self) -> dict:
        return {
            "post_id": str(self.post_id), "thread_id": self.thread_id,
            "title": self.title, "body": self.body,
            "title" + UNIGRAM_SUFFIX: self.title, "body" + UNIGRAM_SUFFIX: self.body,
            "theme": self.theme, "role": self.role, "prefecture": self.prefecture or "-",
            "status": self.status, "opening": self.opening, "visible": self.visible,
            "created": _microseconds(self.created),
        }


class IndexBusy(Exception):
    """Another process is writing the index; the outbox keeps the work for the next drain."""


_cache_lock = threading.Lock()
_cache: dict[str, tuple[str, whoosh_index.Index]] = {}


def _root() -> str:
    return current_app.config["SEARCH_INDEX_DIR"] or os.path.join(current_app.instance_path, "search-index")


def _current_generation(root: str) -> str | None:
    try:
        with open(os.path.join(root, "CURRENT"), encoding="utf-8") as f:
            return f.read().strip() or None
    except FileNotFoundError:
        return None


def _set_current(root: str, generation: str) -> None:
    temporary = os.path.join(root, f"CURRENT.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as f:
        f.write(generation)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, os.path.join(root, "CURRENT"))


def _new_generation(root: str) -> str:
    generation = f"gen-{time.time_ns()}"
    os.makedirs(os.path.join(root, generation))
    whoosh_index.create_in(os.path.join(root, generation), make_schema())
    return generation


def open_index() -> whoosh_index.Index:
    """The live index (created when missing); reopened when a rebuild swapped in a new generation."""
    root = _root()
    generation = _current_generation(root)
    cached = _cache.get(root)
    if cached and cached[0] == generation:
        return cached[1]
    with _cache_lock:
        generation = _current_generation(root)
        if generation is None:
            os.makedirs(root, exist_ok=True)
            generation = _new_generation(root)
            _set_current(root, generation)
        index = whoosh_index.open_dir(os.path.join(root, generation))
        _cache[root] = (generation, index)
        return index


def apply(updates: Iterable[Document], deletions: Iterable[int]) -> None:
    """Write documents into the live index at once, or raise IndexBusy without waiting."""
    index = open_index()
    try:
        # compound=False: a compound segment is copied into memory on every searcher open (40 ms at 10k posts).
        writer = index.writer(timeout=0.0, compound=False)
    except whoosh_index.LockError as error:
        raise IndexBusy() from error
    try:
        for post_id in deletions:
            writer.delete_by_term("post_id", str(post_id))
        for document in updates:
            writer.update_document(**document.fields())
    except BaseException:
        writer.cancel()
        raise
    writer.commit()


def rebuild(documents: Iterable[Document], progress=None) -> int:
    """Build a fresh generation from `documents` and swap it in; the old one is removed afterwards.
    With SEARCH_REINDEX_PROCS > 1 the documents are indexed by that many processes (forked: they inherit
    this one, and only write index files), one segment each; the engine reads several segments as cheaply
    as one, so they are not merged."""
    root = _root()
    os.makedirs(root, exist_ok=True)
    generation = _new_generation(root)
    index = whoosh_index.open_dir(os.path.join(root, generation))
    procs = max(current_app.config["SEARCH_REINDEX_PROCS"], 1)
    options = {"procs": procs, "multisegment": True} if procs > 1 else {}
    writer = index.writer(limitmb=128, compound=False, **options)
    count = 0
    for document in documents:
        writer.add_document(**document.fields())
        count += 1
        if progress is not None:
            progress(1)
    writer.commit()
    old = _current_generation(root)
    _set_current(root, generation)
    if old and old != generation:
        shutil.rmtree(os.path.join(root, old), ignore_errors=True)
    return count


def indexed_ids() -> set[int]:
    with open_index().searcher() as searcher:
        return {int(fields["post_id"]) for fields in searcher.all_stored_fields()}


@dataclass(frozen=True)
class Hits:
    post_ids: list[int]  # best first
    total: int  # matching posts (when needs_check: candidates, an upper bound)
    needs_check: bool  # the posts are candidates: keep those whose text passes query.matches_exactly
    timed_out: bool


def _microseconds(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def field_filter(name: str, value: str | bool) -> Query:
    return Term(name, value)


def created_between(start: datetime | None, end: datetime | None) -> Query:
    return NumericRange("created", _microseconds(start) if start else None,
                        _microseconds(end) if end else None, endexcl=True)


def search(parsed: ParsedQuery, *, filters: list[Query], newest: bool, limit: int, time_limit: float,
           exclude: Query | None = None) -> Hits:
    """The first `limit` posts matching `parsed`, by relevance (ties: newer first) or newest first.
    `filters` must all match; `exclude` (e.g. hidden posts) must not."""
    with open_index().searcher() as searcher:
        ranked = engine.rank(searcher, parsed, BIGRAM_FIELDS, allow=And(filters) if filters else None,
                             restrict=exclude, newest_by="created" if newest else None, depth=limit,
                             time_limit=time_limit)
        stored = [searcher.stored_fields(docnum) for docnum in ranked.docnums]
    if not newest:  # equal scores: the newer post first (docnums only approximate the order of creation)
        order = sorted(range(len(stored)), key=lambda i: (-ranked.keys[i], -stored[i]["created"]))
        stored = [stored[i] for i in order]
    return Hits([int(fields["post_id"]) for fields in stored], ranked.total, ranked.needs_check, ranked.timed_out)


# ---------------------------------------------------------------- backups

@contextmanager
def frozen(timeout: float = 60.0) -> Iterator[str]:
    """Hold the live index's write lock and yield its generation folder (to copy it). Meanwhile drains
    get IndexBusy and leave their work in the outbox, so a copy plus the database's outbox is complete."""
    root = _root()
    index = open_index()
    lock = index.lock("WRITELOCK")
    deadline = time.monotonic() + timeout
    while not lock.acquire(blocking=False):
        if time.monotonic() > deadline:
            raise IndexBusy()
        time.sleep(0.05)
    try:
        yield os.path.join(root, _current_generation(root))
    finally:
        lock.release()


def exists() -> bool:
    """Whether this instance has a live index (a restore needs an empty place)."""
    return _current_generation(_root()) is not None


def install_generation(source: str) -> None:
    """Copy a generation folder (from a backup) into an empty index folder and make it the live one."""
    root = _root()
    if _current_generation(root) is not None:
        raise FileExistsError(root)
    generation = os.path.basename(os.path.normpath(source))
    os.makedirs(root, exist_ok=True)
    shutil.copytree(source, os.path.join(root, generation))
    _set_current(root, generation)
    _cache.pop(root, None)

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
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import STORED_COLUMN
from whoosh.fields import BOOLEAN, ID, NUMERIC, STORED, Schema
from whoosh.query import And, NumericRange, Or, Query, Term
from whoosh.reading import ReaderClosed

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
        fingerprint=STORED,  # a digest of what the document was made from (`flask search check` compares it)
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
    fingerprint: str = ""  # services.fingerprint of the post's database row

    def fields(self) -> dict:
        return {
            "post_id": str(self.post_id), "thread_id": self.thread_id,
            "title": self.title, "body": self.body,
            "title" + UNIGRAM_SUFFIX: self.title, "body" + UNIGRAM_SUFFIX: self.body,
            "theme": self.theme, "role": self.role, "prefecture": self.prefecture or "-",
            "status": self.status, "opening": self.opening, "visible": self.visible,
            "created": _microseconds(self.created), "fingerprint": self.fingerprint,
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
    except (whoosh_index.LockError, FileNotFoundError) as error:  # (a rebuild just removed this generation)
        raise IndexBusy() from error
    if _current_generation(_root()) != os.path.basename(index.storage.folder):
        writer.cancel()  # a rebuild swapped in a new generation meanwhile: never write into the old one
        raise IndexBusy()
    _write(writer, updates, deletions)


def _write(writer, updates: Iterable[Document], deletions: Iterable[int]) -> None:
    if "fingerprint" not in writer.schema:  # an index written before fingerprints were stored
        writer.add_field("fingerprint", STORED)
    try:
        for post_id in deletions:
            writer.delete_by_term("post_id", str(post_id))
        for document in updates:
            writer.update_document(**document.fields())
    except BaseException:
        writer.cancel()
        raise
    writer.commit()


@contextmanager
def writes_held(timeout: float = 120.0) -> Iterator[None]:
    """Hold the live index's write lock (waiting up to `timeout` seconds for a drain in progress): drains
    meanwhile raise IndexBusy and leave their work in the outbox. Raises IndexBusy on time-out."""
    lock = open_index().lock("WRITELOCK")
    deadline = time.monotonic() + timeout
    while not lock.acquire(blocking=False):
        if time.monotonic() > deadline:
            raise IndexBusy()
        time.sleep(0.05)
    try:
        yield
    finally:
        lock.release()


def rebuild(documents: Iterable[Document], progress=None,
            before_swap: Callable[[Callable[[Iterable[Document], Iterable[int]], None]], None] | None = None) -> int:
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
    if before_swap is not None:  # e.g. the changes committed while the documents were read
        before_swap(lambda updates, deletions: _write(index.writer(compound=False), updates, deletions))
    old = _current_generation(root)
    _set_current(root, generation)
    if old and old != generation:
        shutil.rmtree(os.path.join(root, old), ignore_errors=True)
    return count


def indexed_ids() -> set[int]:
    return set(stored_documents())


def stored_documents() -> dict[int, tuple[bool, str]]:
    """post id → (visible, fingerprint) of every document in the live index."""
    with _searcher() as searcher:
        visible = set(searcher.docs_for_query(Term("visible", True)))
        return {int(fields["post_id"]): (docnum in visible, fields.get("fingerprint", ""))
                for docnum, fields in searcher.iter_docs()}


class _SegmentGone(Exception):
    """A writer merged a segment away (and deleted its files) while a searcher was being opened."""


# whoosh's errors when the files read belong to a segment or generation just removed by a writer or a rebuild
_STALE = (_SegmentGone, OSError, whoosh_index.EmptyIndexError, ReaderClosed)
ATTEMPTS = 5


def _open_columns(searcher) -> None:
    """Open every segment's stored fields now. whoosh opens column files lazily and reads a file missing at that
    moment as "no column" (stored fields → None → TypeError): a writer that merges segments deletes their
    files at any time, but a file already open stays readable. The engine reads the other columns (lengths,
    dates) once per segment and keeps them; a segment removed before that is caught by _segments_intact."""
    for reader, _ in searcher.reader().leaf_readers():
        perdoc = getattr(reader, "_perdoc", None)
        if perdoc is not None and reader.doc_count_all() and perdoc._cached_reader("_stored", STORED_COLUMN) is None:
            raise _SegmentGone()


def _segments_intact(searcher) -> bool:
    """Whether every segment the searcher read is still on disk (else a column may have been read as missing)."""
    for reader, _ in searcher.reader().leaf_readers():
        perdoc = getattr(reader, "_perdoc", None)
        if perdoc is not None and reader.doc_count_all() and not perdoc.has_column("_stored"):
            return False
    return True


@contextmanager
def _searcher():
    """A searcher of the live index whose files are all open (see _open_columns); retried on a fresh one
    when a writer or a rebuild removed files meanwhile."""
    for attempt in range(ATTEMPTS):
        searcher = None
        try:
            searcher = open_index().searcher()
            _open_columns(searcher)
        except _STALE:
            if searcher is not None:
                searcher.close()
            if attempt == ATTEMPTS - 1:
                raise
            time.sleep(0.01 * (attempt + 1))
            continue
        break
    try:
        yield searcher
    finally:
        searcher.close()


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


def posts_filter(post_ids: Iterable[int]) -> Query:
    return Or([Term("post_id", str(post_id)) for post_id in post_ids])


def any_of(queries: list[Query]) -> Query | None:
    return None if not queries else queries[0] if len(queries) == 1 else Or(queries)


def created_between(start: datetime | None, end: datetime | None) -> Query:
    return NumericRange("created", _microseconds(start) if start else None,
                        _microseconds(end) if end else None, endexcl=True)


def search(parsed: ParsedQuery, *, filters: list[Query], newest: bool, limit: int, time_limit: float,
           exclude: Query | None = None) -> Hits:
    """The first `limit` posts matching `parsed`, by relevance (ties: newer first) or newest first.
    `filters` must all match; `exclude` (e.g. hidden posts) must not. Never fails because a writer commits
    meanwhile: a search that read a segment merged away under it is run again on a fresh searcher."""
    for attempt in range(ATTEMPTS):
        try:
            with _searcher() as searcher:
                ranked = engine.rank(searcher, parsed, BIGRAM_FIELDS, allow=And(filters) if filters else None,
                                     restrict=exclude, newest_by="created" if newest else None, depth=limit,
                                     time_limit=time_limit)
                stored = [searcher.stored_fields(docnum) for docnum in ranked.docnums]
                if _segments_intact(searcher):
                    break
        except _STALE:
            if attempt == ATTEMPTS - 1:
                raise
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

"""The Whoosh index: schema, storage, the outbox drain, rebuilds and searching.

The database stays the source of truth. The index holds one document per post: ids, the words (title only
on a thread's opening post, as token frequencies without positions) and the fields the filters need;
``engine`` ranks the documents and hits are mapped back to database rows.
Storage: `<SEARCH_INDEX_DIR>/CURRENT` names the generation folder in use, so a rebuild is written beside
the live index and swapped in with one atomic rename. While a generation is being made, its maker holds an
exclusive lock on `<generation>.lock` beside it (released by the system if the process dies): a generation
folder that is not CURRENT and whose lock nobody holds was abandoned (a killed rebuild) and is removed by the
next rebuild or `flask search check`. The processes of a multi-process rebuild die with their parent.
whoosh's internals (see ``engine``) are reached only through ``engine.internals``, on first use: without them
the rebuild uses whoosh's public writers and the searcher its public reader methods, slower.
The rest of the app reaches this module through ``backend`` (``backend.current()``).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from flask import current_app
from whoosh import index as whoosh_index
from whoosh.fields import BOOLEAN, ID, NUMERIC, STORED, Schema
from whoosh.query import And, NumericRange, Or, Query, Term
from whoosh.reading import ReaderClosed

from . import engine
from .analysis import UNIGRAM_SUFFIX, field_types
from .syntax import ParsedQuery

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
        post_number=NUMERIC(bits=64, sortable=True),  # the post id as a column: the last tie-break of the order
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
            "post_number": self.post_id,
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


def _lock_generation(root: str, generation: str) -> int:
    """Take `generation`'s lock (a file descriptor to pass to _unlock_generation), or raise BlockingIOError
    when a living process holds it."""
    fd = os.open(os.path.join(root, generation + ".lock"), os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise BlockingIOError(generation) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def _unlock_generation(root: str, generation: str, fd: int) -> None:
    try:
        os.unlink(os.path.join(root, generation + ".lock"))
    except FileNotFoundError:
        pass
    os.close(fd)


def _new_generation(root: str) -> tuple[str, int]:
    """A new, empty generation folder and the lock its maker holds until it is CURRENT (or removed)."""
    generation = f"gen-{time.time_ns()}"
    lock = _lock_generation(root, generation)  # before the folder: a folder without a held lock is abandoned
    os.makedirs(os.path.join(root, generation))
    whoosh_index.create_in(os.path.join(root, generation), make_schema())
    return generation, lock


def remove_abandoned(root: str | None = None) -> list[tuple[str, int]]:
    """Remove the generation folders that are not CURRENT and that no running process is making (a rebuild
    killed half-way). Returns (folder, bytes) of each one removed."""
    root = root or _root()
    try:
        names = os.listdir(root)
    except FileNotFoundError:
        return []
    generations = {name.removesuffix(".lock") for name in names if name.startswith("gen-")}
    removed = []
    for generation in sorted(generations):
        try:
            lock = _lock_generation(root, generation)
        except BlockingIOError:
            continue  # being made by a running process
        try:
            if generation == _current_generation(root):
                continue
            path = os.path.join(root, generation)
            if os.path.isdir(path):
                size = sum(os.path.getsize(os.path.join(folder, name))
                           for folder, _, files in os.walk(path) for name in files)
                shutil.rmtree(path, ignore_errors=True)
                removed.append((generation, size))
        finally:
            _unlock_generation(root, generation, lock)
    return removed


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
            generation, lock = _new_generation(root)
            _set_current(root, generation)
            _unlock_generation(root, generation, lock)
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
            writer.update_document(**_known(writer.schema, document.fields()))
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


def _die_with_parent(parent: int) -> None:
    """In a child process: be killed when `parent` dies (Linux: PR_SET_PDEATHSIG; elsewhere a watching thread),
    so a rebuild killed with kill -9 leaves no writer behind."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True) if hasattr(ctypes, "CDLL") else None
    PR_SET_PDEATHSIG = 1
    if libc is None or getattr(libc, "prctl", None) is None or libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(1.0)
            os._exit(1)
        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent:  # it died before the signal was asked for
        os._exit(1)


class _Lengths:
    """A written segment's per-document reader whose length columns are read once. whoosh asks it for the
    field length of every posting it writes, one file seek each: a fifth of a rebuild's time."""

    def __init__(self, reader):
        self.reader = reader
        self.columns: dict[str, list] = {}

    def doc_field_length(self, docnum: int, fieldname: str):
        column = self.columns.get(fieldname)
        if column is None:
            fast = _writers().internals
            values = self.reader._cached_reader(fast.lenfield(fieldname), fast.lengths_column)
            column = self.columns[fieldname] = [  # as whoosh's doc_field_length: None for a length byte of 0
                fast.length_of_byte[b] if b else None for b in values.load()] if values is not None else []
        if docnum >= len(column):
            return 0
        return column[docnum]

    def close(self) -> None:
        self.reader.close()


class _SegmentWriter:  # mixed into whoosh's SegmentWriter by _writers()
    def _flush_segment(self):  # whoosh's, with _Lengths (pinned to the Whoosh-Reloaded version in setup.cfg)
        self.perdocwriter.close()
        lengths = _Lengths(self.per_document_reader()) if self.codec.length_stats else None
        self.fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
        self.fieldwriter.close()
        if lengths:
            lengths.close()


class _SubWriter:  # mixed into whoosh's SubWriterTask by _writers()
    parent = 0

    def run(self):
        _die_with_parent(self.parent)
        writers = _writers()
        writers.multiproc.SegmentWriter = writers.segment  # in this child process only: the writer its run() makes
        super().run()


class _MpWriter:  # mixed into whoosh's MpWriter by _writers()
    """whoosh's multi-process writer, whose processes die with it."""

    def _new_task(self):
        task = _writers().sub(self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs,
                              self.multisegment)
        task.parent = os.getpid()
        self.tasks.append(task)
        task.start()
        return task


class _Writers(NamedTuple):
    internals: engine.Internals
    multiproc: object  # the module whoosh.multiproc
    segment: type  # _SegmentWriter on whoosh's SegmentWriter
    sub: type  # _SubWriter on whoosh's SubWriterTask
    mp: type  # _MpWriter on whoosh's MpWriter


_made_writers: _Writers | None = None


def _writers() -> _Writers | None:
    """The writer classes above mixed into whoosh's (made on first use), or None when whoosh's internals they
    override are missing (logged once; the rebuild then uses whoosh's public writers)."""
    global _made_writers
    fast = engine.internals("rebuild")
    if fast is None:
        return None
    if _made_writers is None:
        try:
            from whoosh import multiproc
            from whoosh.writing import SegmentWriter

            for cls, name in ((SegmentWriter, "_flush_segment"), (SegmentWriter, "per_document_reader"),
                              (multiproc.MpWriter, "_new_task"), (multiproc.SubWriterTask, "run")):
                if not callable(getattr(cls, name, None)):
                    raise AttributeError(f"{cls.__name__} has no method {name}")
        except engine.CHANGED as error:
            engine.give_up("rebuild", error)
            return None
        _made_writers = _Writers(fast, multiproc, type("_SegmentWriter", (_SegmentWriter, SegmentWriter), {}),
                                 type("_SubWriter", (_SubWriter, multiproc.SubWriterTask), {}),
                                 type("_MpWriter", (_MpWriter, multiproc.MpWriter), {}))
    return _made_writers


SEGMENT_POSTS = 1000  # posts per segment in a rebuild: their postings fit in a writer's memory (LIMIT_MB)
LIMIT_MB = 128  # whoosh's pool size per writer process; past it the postings spill to temporary files


def _write_segments(index: whoosh_index.Index, documents: list[Document], procs: int) -> None:
    """Write `documents` as new segments without merging: one per process, each of about SEGMENT_POSTS."""
    writers = _writers()
    if writers is None:  # whoosh's public writers (slower; their processes may outlive a killed parent)
        writer = index.writer(limitmb=LIMIT_MB, compound=False,
                              **({"procs": procs, "multisegment": True} if procs > 1 else {}))
    elif procs > 1:
        writer = writers.mp(index, procs=procs, multisegment=True, limitmb=LIMIT_MB, compound=False)
    else:
        writer = writers.segment(index, limitmb=LIMIT_MB, compound=False)
    try:
        for document in documents:
            writer.add_document(**document.fields())
    except BaseException:
        writer.cancel()
        raise
    writer.commit(merge=False)


def rebuild(documents: Iterable[Document], progress=None,
            before_swap: Callable[[Callable[[Iterable[Document], Iterable[int]], None]], None] | None = None) -> int:
    """Build a fresh generation from `documents` and swap it in; the old one is removed afterwards, and so
    are generations abandoned by killed rebuilds.
    The documents are written SEGMENT_POSTS per segment and process (SEARCH_REINDEX_PROCS processes, forked:
    they inherit this one, only write index files, and die with it), so each writer's postings stay in
    memory: the temporary disk a rebuild uses is bounded whatever the number of posts; the engine reads
    several segments nearly as cheaply as one, so they are not merged. `before_swap(write)` may write more
    into the new generation before it goes live (the changes committed while the documents were read)."""
    root = _root()
    os.makedirs(root, exist_ok=True)
    remove_abandoned(root)
    generation, lock = _new_generation(root)
    try:
        index = whoosh_index.open_dir(os.path.join(root, generation))
        procs = max(current_app.config["SEARCH_REINDEX_PROCS"], 1)
        count = 0
        batch: list[Document] = []
        for document in documents:
            batch.append(document)
            count += 1
            if progress is not None:
                progress(1)
            if len(batch) >= SEGMENT_POSTS * procs:
                _write_segments(index, batch, procs)
                batch = []
        if batch or not count:
            _write_segments(index, batch, procs)
        if before_swap is not None:
            before_swap(lambda updates, deletions: _write(index.writer(compound=False), updates, deletions))
        old = _current_generation(root)
        _set_current(root, generation)
    except BaseException:
        shutil.rmtree(os.path.join(root, generation), ignore_errors=True)
        _unlock_generation(root, generation, lock)
        raise
    _unlock_generation(root, generation, lock)
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
    fast = engine.internals()
    for reader, _ in searcher.reader().leaf_readers():
        if not reader.doc_count_all():
            continue
        if fast is not None:
            try:
                perdoc = reader._perdoc
                if perdoc._cached_reader("_stored", fast.stored_column) is None:
                    raise _SegmentGone()
                continue
            except engine.CHANGED as error:
                engine.give_up("search", error)
        try:
            reader.stored_fields(0)  # the public way: opens the stored-fields column (None when its file is gone)
        except TypeError:
            raise _SegmentGone() from None


def _segments_intact(searcher) -> bool:
    """Whether every segment the searcher read is still on disk (else a column may have been read as missing)."""
    fast = engine.internals()
    columns = [name for name, field_type in searcher.schema.items() if field_type.column_type]
    for reader, _ in searcher.reader().leaf_readers():
        if not reader.doc_count_all():
            continue
        if fast is not None:
            try:
                if not reader._perdoc.has_column("_stored"):
                    return False
                continue
            except engine.CHANGED as error:
                engine.give_up("search", error)
        if columns and not reader.has_column(columns[0]):  # the public way: a column's file is there
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


def _known(schema: Schema, fields: dict) -> dict:
    """The fields the index has (an index built before a field was added takes documents until its rebuild)."""
    return {name: value for name, value in fields.items() if name in schema}


@dataclass(frozen=True)
class Hits:
    post_ids: list[int]  # best first
    total: int  # matching posts (when needs_check: candidates, an upper bound)
    needs_check: bool  # the posts are candidates: keep those whose text passes query.matches_exactly
    timed_out: bool
    sample_ids: list[int] = field(default_factory=list)  # candidates in a fixed random order (see engine.rank)
    scores: list[float] = field(default_factory=list)  # the BM25F score of each of post_ids (also when newest)


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
           exclude: Query | None = None, sample: int = 0) -> Hits:
    """The first `limit` posts matching `parsed`, by relevance or newest first; ties: the newer post, then the
    higher post id (one total order, the same at every depth: page 2 continues page 1 exactly).
    `filters` must all match; `exclude` (e.g. hidden posts) must not. With `sample`, also that many
    candidates spread over all of them (for estimating a count). Never fails because a writer commits
    meanwhile: a search that read a segment merged away under it is run again on a fresh searcher."""
    for attempt in range(ATTEMPTS):
        try:
            with _searcher() as searcher:
                tie_by = tuple(name for name in ("created", "post_number") if name in searcher.schema)
                ranked = engine.rank(searcher, parsed, BIGRAM_FIELDS, allow=And(filters) if filters else None,
                                     restrict=exclude, newest_by=tie_by[0] if newest else None,
                                     tie_by=tie_by[1:] if newest else tie_by, depth=limit, time_limit=time_limit,
                                     sample=sample)
                if "post_number" in searcher.schema:
                    numbers = engine.column(searcher, "post_number")
                    post_ids = [numbers[d] for d in ranked.docnums]
                    sample_ids = [numbers[d] for d in ranked.sample]
                else:  # an index built before the column: until its rebuild
                    post_ids = [int(searcher.stored_fields(docnum)["post_id"]) for docnum in ranked.docnums]
                    sample_ids = [int(searcher.stored_fields(docnum)["post_id"]) for docnum in ranked.sample]
                if _segments_intact(searcher):
                    break
        except _STALE:
            if attempt == ATTEMPTS - 1:
                raise
    return Hits(post_ids, ranked.total, ranked.needs_check, ranked.timed_out, sample_ids, ranked.scores)


# ---------------------------------------------------------------- backups

@contextmanager
def frozen(timeout: float = 60.0) -> Iterator[str]:
    """Hold the live index's write lock and yield its generation folder (to copy it). Meanwhile drains
    get IndexBusy and leave their work in the outbox, so a copy plus the database's outbox is complete."""
    root = _root()
    with writes_held(timeout):
        yield os.path.join(root, _current_generation(root))


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

"""The search backend: the one interface through which the app writes, rebuilds, searches and checks the index.

``current()`` gives the backend in use. There is one today, Whoosh (``index`` and ``engine``); a second one
implements :class:`SearchBackend`, is added to ``BACKENDS``, and runs the same relevance tests
(tests/test_search_relevance.py is parametrised over ``BACKENDS``). Its documents are :class:`Document`
(one per post, made by ``indexing.document_for``), its answers :class:`Hits`, and it raises
:class:`IndexBusy` when another process is writing (the outbox then keeps the work). Filters name the
documents' fields, not the engine's queries.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from . import engine, index
from .syntax import ParsedQuery

Document = index.Document
Hits = index.Hits
IndexBusy = index.IndexBusy

Write = Callable[[Iterable[Document], Iterable[int]], None]  # (documents to add or replace, post ids to delete)


@dataclass(frozen=True)
class Filters:
    """What every result must have; an empty value sets no condition."""

    theme: str = ""
    role: str = ""
    prefecture: str = ""
    status: str = ""
    opening_only: bool = False
    created_from: datetime | None = None  # inclusive
    created_before: datetime | None = None  # exclusive


@dataclass(frozen=True)
class Exclusions:
    """What no result may be."""

    hidden: bool = False  # documents indexed as not visible (Document.visible False)
    post_ids: tuple[int, ...] = ()


@runtime_checkable
class SearchBackend(Protocol):
    name: str

    def apply(self, updates: Iterable[Document], deletions: Iterable[int]) -> None:
        """Add or replace `updates` and delete the posts `deletions` at once, or raise IndexBusy without waiting."""

    def rebuild(self, documents: Iterable[Document], progress: Callable[[int], None] | None = None,
                before_swap: Callable[[Write], None] | None = None) -> int:
        """Build a new index from `documents` beside the live one and swap it in; `before_swap(write)` may write
        more into it first. Returns the number of documents."""

    def writes_held(self, timeout: float = 120.0) -> AbstractContextManager[None]:
        """Keep other writers out (apply raises IndexBusy meanwhile); IndexBusy after `timeout` seconds."""

    def is_exact(self, parsed: ParsedQuery) -> bool:
        """Whether the index alone decides `parsed` (else search returns candidates: Hits.needs_check)."""

    def search(self, parsed: ParsedQuery, *, filters: Filters = Filters(), exclude: Exclusions = Exclusions(),
               newest: bool = False, limit: int = 20, time_limit: float = 5.0, sample: int = 0) -> Hits:
        """The first `limit` posts matching `parsed`, best first (or newest first); ties: the newer post, then
        the higher post id: one total order, the same at every depth. Hits has the post ids, their scores,
        the total and whether it is exact (needs_check, timed_out); with `sample`, that many candidates
        spread over all of them (for estimating a count)."""

    def stored_documents(self) -> dict[int, tuple[bool, str]]:
        """post id → (visible, fingerprint) of every document in the live index (what `check` compares)."""

    def remove_abandoned(self) -> list[tuple[str, int]]:
        """Remove what killed rebuilds left behind: (name, bytes) of each."""

    def frozen(self, timeout: float = 60.0) -> AbstractContextManager[str]:
        """Hold writes and yield a folder holding the whole live index, to copy it (backups)."""

    def exists(self) -> bool:
        """Whether this instance has a live index."""

    def install(self, folder: str) -> None:
        """Make a copy of a folder yielded by `frozen` the live index of an instance that has none."""


class WhooshBackend:
    """The Whoosh index of this instance (``index``), ranked by ``engine``."""

    name = "whoosh"

    def apply(self, updates: Iterable[Document], deletions: Iterable[int]) -> None:
        index.apply(updates, deletions)

    def rebuild(self, documents: Iterable[Document], progress: Callable[[int], None] | None = None,
                before_swap: Callable[[Write], None] | None = None) -> int:
        return index.rebuild(documents, progress=progress, before_swap=before_swap)

    def writes_held(self, timeout: float = 120.0) -> AbstractContextManager[None]:
        return index.writes_held(timeout)

    def is_exact(self, parsed: ParsedQuery) -> bool:
        return engine.is_exact(parsed)

    def search(self, parsed: ParsedQuery, *, filters: Filters = Filters(), exclude: Exclusions = Exclusions(),
               newest: bool = False, limit: int = 20, time_limit: float = 5.0, sample: int = 0) -> Hits:
        queries = [index.field_filter(name, value) for name, value in (
            ("theme", filters.theme), ("role", filters.role), ("prefecture", filters.prefecture),
            ("status", filters.status)) if value]
        if filters.opening_only:
            queries.append(index.field_filter("opening", True))
        if filters.created_from or filters.created_before:
            queries.append(index.created_between(filters.created_from, filters.created_before))
        excluded = [index.field_filter("visible", False)] if exclude.hidden else []
        if exclude.post_ids:
            excluded.append(index.posts_filter(exclude.post_ids))
        return index.search(parsed, filters=queries, exclude=index.any_of(excluded), newest=newest, limit=limit,
                            time_limit=time_limit, sample=sample)

    def stored_documents(self) -> dict[int, tuple[bool, str]]:
        return index.stored_documents()

    def remove_abandoned(self) -> list[tuple[str, int]]:
        return index.remove_abandoned()

    def frozen(self, timeout: float = 60.0) -> AbstractContextManager[str]:
        return index.frozen(timeout)

    def exists(self) -> bool:
        return index.exists()

    def install(self, folder: str) -> None:
        index.install_generation(folder)


BACKENDS: dict[str, Callable[[], SearchBackend]] = {"whoosh": WhooshBackend}
_current: SearchBackend = WhooshBackend()


def current() -> SearchBackend:
    """The backend in use (Whoosh; a second backend would be chosen here, e.g. from the configuration)."""
    return _current

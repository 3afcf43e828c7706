"""Evaluating a parsed query against the index in bulk.

whoosh's matchers walk the postings one document at a time through several Python calls per term and
document (about 10 µs); a common word matches most posts, so a query cost grew with the corpus (0.5–2 s at
100,000 posts). Here each term's posting list is read a whole block at a time into a ``{docnum: tf}``
dict; documents are combined with set operations and scored with BM25F in one pass, and the top
documents are picked with ``heapq.nlargest``. Only the first `depth` documents are mapped to post ids.

The matching rule (see ``analysis``): a query word matches where its tokens occur in sequence. The
index holds no positions, so a word of several tokens (「教員研修」: 教員, 員研, 研修) is matched here as
the AND of its tokens, a superset: such results come back with ``needs_check``, and the caller keeps
the documents whose text passes ``query.matches_exactly``. A one-token word (研修, 県, chromebook) is
exact. A multi-token exclusion is left to that check too (removing the AND of its tokens would remove
too much).

Scores follow whoosh's BM25F (B 0.75, K1 1.2, its idf), summed over the query's tokens and fields with
the fields' boosts; posts where the required words stand together as typed (「教員 研修」 → 「教員研修」)
get twice the joined word's score on top. Ties go to the newer document (higher docnum; a rebuild adds posts
in id order, an edited post is re-added at the end).

Two ways to read the index, with the same results and scores. The fast path reads whoosh's private
names, pinned to the Whoosh-Reloaded version in setup.cfg: ``whoosh.codec.whoosh3``'s ``W3LeafMatcher``
(its posting blocks: ``_read_data``, ``_data``, ``_byteids``, ``_lastblock``, ``_goto``, ``_nextoffset``)
behind a filtering matcher's ``child``, ``LENGTHS_COLUMN`` and ``_lenfield`` with a segment reader's
``_perdoc._cached_reader`` (the field lengths, a column per segment), ``whoosh.util.numeric.byte_to_length``
and a segment reader's ``deleted_docs_set`` (index.py's rebuild and searcher also use ``STORED_COLUMN`` and
whoosh's writers' internals, through ``internals``). They are imported on first use, never when the app
starts. When one is missing or behaves differently, or ``FORCE_PUBLIC_API`` is set, the engine reads the
same data through whoosh's public API (matchers' ``id``/``weight``, ``reader.doc_field_length``,
``reader.is_deleted``): slower, and one warning is logged. tests/test_search_contract.py checks both paths
against ``whoosh.scoring.BM25F`` and each other, and fails first when the installed version is not the pin.
"""
from __future__ import annotations

import heapq
import itertools
import logging
import time
from collections.abc import Callable, Iterable, Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from whoosh.query import Query

from .analysis import GAP, UNIGRAM_SUFFIX, query_plan
from .syntax import ParsedQuery

log = logging.getLogger(__name__)

B, K1 = 0.75, 1.2  # whoosh's BM25F defaults
MAX_TERMS = 4  # tokens of one long word that are read (the rarest); the exact check decides anyway

FORCE_PUBLIC_API = False  # True: never read whoosh's internals, only its public API (tests run both paths)


class Internals(NamedTuple):
    """whoosh's private names the fast paths read (see the module docstring)."""

    leaf_matcher: type  # whoosh.codec.whoosh3.W3LeafMatcher
    lengths_column: Any  # whoosh.codec.whoosh3.LENGTHS_COLUMN
    stored_column: Any  # whoosh.codec.whoosh3.STORED_COLUMN
    lenfield: Callable[[str], str]  # whoosh.codec.whoosh3._lenfield
    length_of_byte: list[int]  # whoosh.util.numeric.byte_to_length of every byte


# Errors that mean "an internal is not what this code expects" (a renamed attribute, another tuple shape).
CHANGED = (ImportError, AttributeError, TypeError, ValueError)
_loaded: Internals | None = None
_given_up: dict[str, str] = {}  # part → why its fast path is off in this process (each logged once)


def internals(part: str = "search") -> Internals | None:
    """whoosh's private names, imported on first use; None when FORCE_PUBLIC_API is set, or when they are
    missing or `part`'s fast path failed before (logged once): the caller then uses the public API."""
    global _loaded
    if FORCE_PUBLIC_API or part in _given_up or "import" in _given_up:
        return None
    if _loaded is None:
        try:
            from whoosh.codec.whoosh3 import LENGTHS_COLUMN, STORED_COLUMN, W3LeafMatcher, _lenfield
            from whoosh.util.numeric import byte_to_length

            for name in ("_read_data", "_goto"):
                if not callable(getattr(W3LeafMatcher, name, None)):
                    raise AttributeError(f"W3LeafMatcher has no method {name}")
            _loaded = Internals(W3LeafMatcher, LENGTHS_COLUMN, STORED_COLUMN, _lenfield,
                                [byte_to_length(i) for i in range(256)])
        except CHANGED as error:
            give_up("import", error)
            return None
    return _loaded


def give_up(part: str, error: BaseException) -> None:
    """Use the public API for `part` ("search", "rebuild"; "import": everything) from now on in this process."""
    if part in _given_up:
        return
    _given_up[part] = f"{type(error).__name__}: {error}"
    log.warning("whoosh's internals are not what educussion/search/engine.py expects (%s: %s); %s goes on "
                "through whoosh's public API, slower. Check the Whoosh-Reloaded version against the pin in "
                "setup.cfg and run tests/test_search_contract.py.", part, _given_up[part],
                "everything" if part == "import" else part)


class _Deadline(Exception):
    pass


@dataclass(frozen=True)
class Ranked:
    docnums: list[int]  # the first `depth` documents, best first
    keys: list[float]  # their scores (or sort values), in the same order
    total: int  # matching documents (candidates when needs_check)
    needs_check: bool  # the documents are a superset: keep those that pass query.matches_exactly
    timed_out: bool  # the time ran out: some constraints were not applied (needs_check is then True)
    sample: list[int] = field(default_factory=list)  # up to `sample` documents, a fixed pseudo-random choice
    scores: list[float] = field(default_factory=list)  # the BM25F scores of `docnums` (also when sorted by date)


@dataclass
class _Word:
    scores: dict[int, float]  # document → score, for every document that matches the word
    exact: bool  # False when the word has several tokens (a superset of the true matches)


class _Leaves:
    """The index's segments with their first global docnum, and per-document data cached per segment."""

    _cache: dict[tuple, list] = {}  # (segment id, what) → values; a segment never changes (its deletions grow)

    def __init__(self, searcher):
        self.searcher = searcher
        self.readers = list(searcher.reader().leaf_readers())
        self._deleted: dict[int, AbstractSet[int]] = {}  # reader's position → its deleted docnums (local)

    def _deleted_in(self, position: int) -> AbstractSet[int]:
        if position not in self._deleted:
            reader = self.readers[position][0]
            found: AbstractSet[int] | None = frozenset() if not reader.has_deletions() else None
            if found is None and internals() is not None:
                try:
                    found = reader.deleted_docs_set
                except CHANGED as error:
                    give_up("search", error)
            if found is None:  # whoosh's public API; a segment's deletions only grow: their count tells them apart
                count = reader.doc_count_all() - reader.doc_count()
                found = self._per_segment(reader, ("deleted", count), lambda: [
                    frozenset(d for d in range(reader.doc_count_all()) if reader.is_deleted(d))])[0]
            self._deleted[position] = found
        return self._deleted[position]

    def _per_segment(self, reader, what: tuple, load: Callable[[], list]) -> list:
        segment = reader.segment()
        if segment is None:
            return load()
        key = (segment.segment_id(), *what)
        values = self._cache.get(key)
        if values is None:
            values = load()
            if len(self._cache) > 512:
                self._cache.clear()
            self._cache[key] = values
        return values

    def _all_segments(self, what: tuple, load: Callable[[Any], list]) -> list:
        out: list = []
        for reader, _ in self.readers:
            if reader.segment() is not None:  # (an empty index has none)
                out.extend(self._per_segment(reader, what, lambda: load(reader)))
        return out

    def lengths(self, fieldname: str) -> list[int]:
        """The length of the field per docnum (in tokens, as whoosh stores it: one byte, approximate)."""
        fast = internals()
        if fast is not None:
            def load(reader) -> list[int]:
                column = reader._perdoc._cached_reader(fast.lenfield(fieldname), fast.lengths_column)
                if column is None:
                    return [0] * reader.doc_count_all()
                return [fast.length_of_byte[b] for b in column.load()]
            try:
                return self._all_segments(("length", fieldname), load)
            except CHANGED as error:
                give_up("search", error)
        return self._all_segments(("public length", fieldname), lambda reader: [
            reader.doc_field_length(docnum, fieldname) or 0 for docnum in range(reader.doc_count_all())])

    def column(self, fieldname: str) -> list:
        """The values of a sortable field per docnum."""
        return self._all_segments(("column", fieldname), lambda reader: list(reader.column_reader(fieldname)))

    def postings(self, fieldname: str, text: str) -> dict[int, float]:
        """docnum → term frequency of one term in the documents that are not deleted."""
        field = self.searcher.schema[fieldname]
        try:
            term = field.to_bytes(text)
        except ValueError:
            return {}
        out: dict[int, float] = {}
        for position, (reader, offset) in enumerate(self.readers):
            if (fieldname, term) not in reader:
                continue
            found = self._read_fast(position, fieldname, term)
            if found is not None:
                out.update(found)
                continue
            matcher = reader.postings(fieldname, term)  # whoosh's public API: one document at a time
            docnum, weight, step, active = matcher.id, matcher.weight, matcher.next, matcher.is_active
            while active():
                out[offset + docnum()] = weight()
                step()
        return out

    def _read_fast(self, position: int, fieldname: str, term: bytes) -> dict[int, float] | None:
        """A term's postings in one segment read a block at a time, or None when the fast path is off."""
        fast = internals()
        if fast is None:
            return None
        reader, offset = self.readers[position]
        try:
            found = _read_blocks(fast, reader.postings(fieldname, term), offset)
        except CHANGED as error:
            give_up("search", error)
            return None
        if found is None:
            return None
        deleted = self._deleted_in(position)
        if len(deleted) < len(found):
            for docnum in deleted:
                found.pop(offset + docnum, None)
        elif deleted:
            found = {doc: tf for doc, tf in found.items() if doc - offset not in deleted}
        return found


def _read_blocks(fast: Internals, matcher, offset: int) -> dict[int, float] | None:
    """The postings of a W3 matcher, read a block at a time (deleted documents included), or None for another
    kind of matcher."""
    matcher = getattr(matcher, "child", matcher)  # without whoosh's deleted-documents filter
    if not isinstance(matcher, fast.leaf_matcher):
        return None
    out: dict[int, float] = {}
    while True:
        matcher._read_data()
        ids, weights, _ = matcher._data
        if not matcher._byteids:
            ids = itertools.islice(itertools.accumulate(ids, initial=offset), 1, None)
        else:
            ids = (offset + docnum for docnum in ids)
        if weights is None or isinstance(weights, float):
            weights = itertools.repeat(weights or 1.0)
        out.update(zip(ids, weights))
        if matcher._lastblock:
            return out
        matcher._goto(matcher._nextoffset)


class _Evaluator:
    def __init__(self, searcher, fields: dict[str, float], deadline: float):
        self.leaves = _Leaves(searcher)
        self.searcher = searcher
        self.fields = fields
        self.deadline = deadline
        self._read: dict[tuple[str, str], dict[int, float]] = {}  # postings read by this search

    def _tick(self) -> None:
        if time.perf_counter() > self.deadline:
            raise _Deadline()

    def _postings(self, fieldname: str, text: str) -> dict[int, float]:
        key = (fieldname, text)
        if key not in self._read:
            self._tick()
            self._read[key] = self.leaves.postings(fieldname, text)
        return self._read[key]

    def _rarest(self, fieldname: str, terms: list[str]) -> list[str]:
        """At most MAX_TERMS of a word's tokens, the rarest: enough to find its candidates (which are checked
        on the text anyway) at a fraction of the cost for long words."""
        if len(terms) <= MAX_TERMS:
            return terms
        return sorted(terms, key=lambda text: self.searcher.doc_frequency(fieldname, text))[:MAX_TERMS]

    def _field_scores(self, fieldname: str, terms: list[str], boost: float, out: dict[int, float],
                      within: AbstractSet[int] | None) -> None:
        postings = []
        for text in self._rarest(fieldname, terms):
            found = self._postings(fieldname, text)
            if not found:
                return
            postings.append((found, boost * self.searcher.idf(fieldname, text) * (K1 + 1)))
        postings.sort(key=lambda item: len(item[0]))
        docs = postings[0][0].keys() if within is None else within & postings[0][0].keys()
        for found, _ in postings[1:]:
            docs = docs & found.keys()
        # BM25's length normalisation, K1 × (1 − B + B × length / average), for the matching documents only
        lengths = self.leaves.lengths(fieldname)
        base, per = K1 * (1 - B), K1 * B / (self.searcher.avg_field_length(fieldname) or 1.0)
        for doc in docs:
            norm = base + per * lengths[doc]
            score = out.get(doc, 0.0)
            for found, weight in postings:
                tf = found[doc]
                score += weight * tf / (tf + norm)
            out[doc] = score

    def word(self, word: str, within: AbstractSet[int] | None = None) -> _Word:
        """The documents (among `within`, if given) with every token of `word`, and their scores."""
        plan = query_plan(word)
        scores: dict[int, float] = {}
        if plan.unigram:
            for name, boost in self.fields.items():
                self._field_scores(name + UNIGRAM_SUFFIX, plan.terms, boost, scores, within)
            return _Word(scores, True)
        terms = [term for term in dict.fromkeys(plan.terms) if term != GAP]
        for name, boost in self.fields.items():
            self._field_scores(name, terms, boost, scores, within)
        return _Word(scores, _word_is_exact(word))

    def docs_for(self, query: Query) -> set[int]:
        self._tick()
        return set(self.searcher.docs_for_query(query))


def _word_is_exact(word: str) -> bool:
    plan = query_plan(word)
    return plan.unigram or len(plan.terms) <= 1


def is_exact(parsed: ParsedQuery) -> bool:
    """Whether the index alone decides `parsed` (no word or exclusion of several tokens)."""
    return all(_word_is_exact(word) for word in
               [*parsed.must, *parsed.phrases, *parsed.excluded, *(w for group in parsed.any_of for w in group)])


def _and(words: Iterable[_Word]) -> _Word | None:
    result: _Word | None = None
    for word in sorted(words, key=lambda w: len(w.scores)):
        if result is None:
            result = _Word(dict(word.scores), word.exact)
            continue
        scores = word.scores
        result = _Word({doc: score + scores[doc] for doc, score in result.scores.items() if doc in scores},
                       result.exact and word.exact)
    return result


def _or(words: list[_Word]) -> _Word:
    scores: dict[int, float] = {}
    for word in words:
        for doc, score in word.scores.items():
            scores[doc] = scores.get(doc, 0.0) + score
    return _Word(scores, all(word.exact for word in words))


def _required(evaluator: _Evaluator, parsed: ParsedQuery) -> tuple[_Word | None, bool]:
    """The documents that have every word, phrase and OR group: (None when nothing matches, timed out).
    When the time runs out, the words read so far decide (a superset, left to the exact check)."""
    required: list[_Word] = []
    try:
        for word in [*parsed.must, *parsed.phrases]:
            required.append(evaluator.word(word))
            if not required[-1].scores:
                return None, False
        for group in parsed.any_of:
            required.append(_or([evaluator.word(word) for word in group]))
    except _Deadline:
        return _and(required), True
    return _and(required), False


def rank(searcher, parsed: ParsedQuery, fields: dict[str, float], *, allow: Query | None = None,
         restrict: Query | None = None, newest_by: str | None = None, tie_by: tuple[str, ...] = (),
         depth: int = 20, time_limit: float = 5.0, sample: int = 0) -> Ranked:
    """The documents matching `parsed` (and `allow`, and not `restrict`), best first (or by the sortable
    field `newest_by`, highest first), ties broken by the sortable fields `tie_by` then the docnum (highest
    first): the first `depth` of them, and with `sample` > 0 that many chosen at random (fixed by the last
    `tie_by` column), for estimating what share of the candidates passes the exact check."""
    evaluator = _Evaluator(searcher, fields, time.perf_counter() + time_limit)
    matched, timed_out = _required(evaluator, parsed)
    if matched is None or not matched.scores:
        return Ranked([], [], 0, False, timed_out)
    scores, exact = matched.scores, matched.exact and not timed_out
    try:
        if not timed_out:
            exact = _apply_exclusions(evaluator, parsed, scores) and exact
            _boost_adjacent(evaluator, parsed, scores)
        docs = set(scores)  # (never a deleted document: the postings read leave them out)
        if restrict is not None:
            docs -= evaluator.docs_for(restrict)
        if allow is not None:
            docs &= evaluator.docs_for(allow)
    except _Deadline:
        return Ranked([], [], len(scores), True, True)
    ordered = list(docs)
    parts = [] if newest_by else [[scores[doc] for doc in ordered]]
    for name in ((newest_by,) if newest_by else ()) + tuple(tie_by):
        values = evaluator.leaves.column(name)
        parts.append([values[doc] for doc in ordered])
    top = heapq.nlargest(depth, zip(*parts, ordered))
    identities = parts[-1] if tie_by else ordered
    return Ranked([key[-1] for key in top], [key[0] for key in top], len(ordered), not exact, timed_out,
                  _shuffled(ordered, identities, sample), [scores[key[-1]] for key in top])


def _shuffled(docs: list[int], identities: list, count: int) -> list[int]:
    """`count` of `docs` in a fixed pseudo-random order of their `identities` (e.g. post numbers): the same
    sample whatever the segments, and any first part of it is an even sample too."""
    if count <= 0 or not docs:
        return []
    keys = ((int(identity) * 2654435761) & 0xFFFFFFFF for identity in identities)  # Knuth's multiplicative hash
    return [doc for _, doc in heapq.nsmallest(count, zip(keys, docs))]


def column(searcher, name: str) -> list:
    """The values of a sortable field per docnum (cached per segment)."""
    return _Leaves(searcher).column(name)


def _apply_exclusions(evaluator: _Evaluator, parsed: ParsedQuery, scores: dict[int, float]) -> bool:
    """Remove the documents of one-token exclusions; False when others are left to the exact check."""
    all_exact = True
    for word in parsed.excluded:
        if not _word_is_exact(word):
            all_exact = False
            continue
        for doc in evaluator.word(word, within=scores.keys()).scores:
            del scores[doc]
    return all_exact


ADJACENT_BOOST = 2.0


def _boost_adjacent(evaluator: _Evaluator, parsed: ParsedQuery, scores: dict[int, float]) -> None:
    """「教員 研修」: posts that also contain 「教員研修」 (the tokens of the joined words) get its score twice
    more: ranking only, never a condition."""
    if len(parsed.must) < 2:
        return
    joined = evaluator.word("".join(parsed.must), within=scores.keys())
    for doc, score in joined.scores.items():
        scores[doc] += ADJACENT_BOOST * score

"""The search box syntax: what the user typed → :class:`ParsedQuery` → a whoosh query.

Syntax
    ``教員 研修`` both words (AND); ``"教員 研修"`` a phrase; ``-研修`` / ``-"教員 研修"`` exclusion;
    ``端末 OR タブレット`` either (upper-case OR between two words or phrases; ``a OR b OR c`` chains).
    The query is NFKC-normalised first, so full-width spaces, ＯＲ, ＂, － work, and the quotes an IME
    types (“ ” 〝 〟) count as ``"``; − (U+2212) counts as ``-``.
    There are no wildcards or fields: ``*``, ``?``, ``title:`` and the like are plain characters, and
    punctuation only separates words (see ``analysis``).
    A query longer than :data:`MAX_QUERY_LENGTH` characters is cut (``ParsedQuery.truncated``). One that
    cannot be parsed (unbalanced quotes, a lone ``-``, OR at either end or next to an exclusion or another
    OR) is searched as plain text: every word required, quotes dropped (``ParsedQuery.plain_text``).
    A query of only exclusions or punctuation is empty (``to_whoosh`` returns None).
    Nothing here raises for any string.

Words and phrases are matched as described in ``analysis`` (a word's bigrams must appear in sequence).
A field ``name`` given to :func:`to_whoosh` has its single-character field ``name + "_uni"``
(``analysis.UNIGRAM_SUFFIX``), used for one-character CJK words such as 県.

Two whoosh classes are replaced here (both are subclasses, so ``isinstance`` checks still hold):
:class:`ExactPhrase` for Phrase (linear instead of quadratic) and :class:`Excluding` for AndNot (whose
matcher let excluded documents into top-N results). Build queries with :func:`to_whoosh`.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from whoosh.matching import AndNotMatcher, IntersectionMatcher, Matcher, NullMatcher, WrappingMatcher
from whoosh.query import And, AndMaybe, AndNot, Or, Phrase, Query, QueryError, Term
from whoosh.query.spans import Span, SpanWrappingMatcher
from whoosh.util import make_binary_tree

from .analysis import GAP, UNIGRAM_SUFFIX, QueryPlan, clean_word, match_form, normalise, query_plan

MAX_QUERY_LENGTH = 200

_PREPARE = str.maketrans({
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u301d": '"', "\u301e": '"', "\u301f": '"',
    "\u2212": "-",
})
_ITEM_RE = re.compile(r'(-?)"([^"]*)"|([^\s"]+)')
_OR = "OR"


class ExactPhrase(Phrase):
    """A whoosh Phrase (same terms and results) whose positions are checked by set arithmetic.

    whoosh's own Phrase joins position spans pairwise (SpanNear2), which costs the phrase length squared
    times the positions of a repeated term: 200 × あ against a post of 5,000 あ took 27 s in one
    document, where no time limit can interrupt it. Here each distinct term's positions are read once and
    the candidate start positions only shrink, so the cost is linear in the positions.
    """

    def matcher(self, searcher, context=None) -> Matcher:
        if self.fieldname not in searcher.schema:
            return NullMatcher()
        field_type = searcher.schema[self.fieldname]
        if not field_type.format or not field_type.format.supports("positions"):
            raise QueryError(f"Phrase search: {self.fieldname!r} field has no positions")
        reader = searcher.reader()
        offsets: dict[bytes, list[int]] = {}
        for offset, word in enumerate(self.words):
            try:
                text = field_type.to_bytes(word)
            except ValueError:
                return NullMatcher()
            if (self.fieldname, text) not in reader:
                return NullMatcher()
            offsets.setdefault(text, []).append(offset)
        matchers = [Term(self.fieldname, text).matcher(searcher, context) for text in offsets]
        matcher: Matcher = _OffsetsMatcher(matchers, list(offsets.values()), len(self.words))
        return WrappingMatcher(matcher, boost=self.boost) if self.boost != 1.0 else matcher


class _OffsetsMatcher(SpanWrappingMatcher):
    """Documents where every term occurs at (start + each of its offsets) for one start position."""

    def __init__(self, matchers: list[Matcher], offsets: list[list[int]], length: int):
        self.matchers, self.offsets, self.length = matchers, offsets, length
        super().__init__(make_binary_tree(IntersectionMatcher, matchers))

    def copy(self) -> _OffsetsMatcher:
        return self.__class__([matcher.copy() for matcher in self.matchers], self.offsets, self.length)

    def replace(self, minquality=0) -> Matcher:
        return self if self.is_active() else NullMatcher()

    def skip_to_quality(self, minquality) -> int:
        # WrappingMatcher's version moves the child without checking positions (whoosh's Phrase shares it)
        skipped = self.child.skip_to_quality(minquality)
        self._find_next()
        return skipped

    def _get_spans(self) -> list[Span]:
        lists = sorted(((matcher.value_as("positions"), offsets)
                        for matcher, offsets in zip(self.matchers, self.offsets)), key=lambda item: len(item[0]))
        starts: set[int] | None = None
        for positions, offsets in lists:
            present = set(positions)
            for offset in offsets:
                if starts is None:
                    starts = {position - offset for position in present}
                else:
                    starts = {start for start in starts if start + offset in present}
                if not starts:
                    return []
        return [Span(start, start + self.length - 1) for start in sorted(starts or ())]


class Excluding(AndNot):
    """whoosh's AndNot with a matcher that does not let excluded documents through (see below)."""

    def matcher(self, searcher, context=None) -> Matcher:
        return _AndNotMatcher(self.a.matcher(searcher, context), self.b.matcher(searcher, searcher.boolean_context()))


class _AndNotMatcher(AndNotMatcher):
    """Two fixes to whoosh's AndNotMatcher (Whoosh-Reloaded 2.7.5), both hit by top-N searches, which
    replace matchers and skip by block quality as they go: a rebuilt matcher checked its first document
    against the exclusions only when both stood on the same document, so an excluded post was returned
    when the excluded side was behind; and skipping by quality to the end raised IndexError."""

    def _find_first(self) -> None:
        if self.a.is_active() and self.b.is_active():
            self._find_next()

    def _find_next(self) -> bool | None:
        if not self.a.is_active():
            return False
        return super()._find_next()


@dataclass
class ParsedQuery:
    """A parsed search query. All word lists hold normalised words (``analysis.clean_word``)."""

    text: str  # what the user typed, stripped and cut to MAX_QUERY_LENGTH: show it back in the search box
    truncated: bool = False
    must: list[str] = field(default_factory=list)  # every word is required
    phrases: list[str] = field(default_factory=list)  # quoted phrases, every one required
    excluded: list[str] = field(default_factory=list)  # words and phrases that must not occur
    any_of: list[list[str]] = field(default_factory=list)  # each group: at least one alternative required
    plain_text: bool = False  # the syntax was broken, so the query was read as plain words

    @property
    def is_empty(self) -> bool:
        """True when nothing positive is left to search for."""
        return not (self.must or self.phrases or self.any_of)


@dataclass
class _Item:
    text: str
    negated: bool = False
    quoted: bool = False


def parse(raw: str) -> ParsedQuery:
    """Parse what the user typed; never raises."""
    text = raw.strip() if isinstance(raw, str) else ""
    parsed = ParsedQuery(text=text[:MAX_QUERY_LENGTH], truncated=len(text) > MAX_QUERY_LENGTH)
    prepared = unicodedata.normalize("NFKC", parsed.text).translate(_PREPARE)
    groups = _group(_scan(prepared))
    if groups is None:
        parsed.plain_text = True
        groups = [[_Item(word)] for word in prepared.replace('"', " ").split()]
    for group in groups:
        _add_group(parsed, group)
    return parsed


def _scan(prepared: str) -> list[_Item | str] | None:
    if prepared.count('"') % 2:
        return None
    items: list[_Item | str] = []
    for match in _ITEM_RE.finditer(prepared):
        minus, phrase, word = match.groups()
        if phrase is not None:
            items.append(_Item(phrase, negated=bool(minus), quoted=True))
        elif word == _OR:
            items.append(_OR)
        elif word == "-":
            return None
        elif word.startswith("-"):
            items.append(_Item(word[1:], negated=True))
        else:
            items.append(_Item(word))
    return items


def _group(items: list[_Item | str] | None) -> list[list[_Item]] | None:
    """Join the items around each OR into groups; None when an OR has no plain word on either side."""
    if items is None:
        return None
    groups: list[list[_Item]] = []
    joining = False
    for item in items:
        if isinstance(item, str):  # the OR operator
            if joining or not groups or groups[-1][-1].negated:
                return None
            joining = True
        elif joining:
            if item.negated:
                return None
            groups[-1].append(item)
            joining = False
        else:
            groups.append([item])
    return None if joining else groups


def _add_group(parsed: ParsedQuery, group: list[_Item]) -> None:
    words = [(clean_word(item.text), item) for item in group]
    words = [(word, item) for word, item in words if query_plan(word).terms]
    if len(words) > 1:
        alternatives = list(dict.fromkeys(word for word, _ in words))
        if len(alternatives) > 1:
            if alternatives not in parsed.any_of:
                parsed.any_of.append(alternatives)
            return
    if not words:
        return
    word, item = words[0]
    target = parsed.excluded if item.negated else parsed.phrases if item.quoted else parsed.must
    if word not in target:
        target.append(word)


def _word_query(word: str, fields: dict[str, float], phrase: bool) -> Query | None:
    """One word or phrase in at least one of the fields."""
    plan = query_plan(word)
    if not plan.terms:
        return None
    per_field = [_field_query(plan, name, boost, phrase) for name, boost in fields.items()]
    return per_field[0] if len(per_field) == 1 else Or(per_field)


def _field_query(plan: QueryPlan, name: str, boost: float, phrase: bool) -> Query:
    if plan.unigram:
        return Term(name + UNIGRAM_SUFFIX, plan.terms[0], boost=boost)
    if len(plan.terms) == 1:
        return Term(name, plan.terms[0], boost=boost)
    if phrase:
        return ExactPhrase(name, plan.terms, boost=boost)
    distinct = [term for term in dict.fromkeys(plan.terms) if term != GAP]
    return And([Term(name, term) for term in distinct], boost=boost)


def _is_exact_without_positions(word: str) -> bool:
    plan = query_plan(word)
    return plan.unigram or len(plan.terms) == 1


def _combine(queries: Sequence[Query | None], kind: type[And] | type[Or]) -> Query | None:
    present = [query for query in queries if query is not None]
    if not present:
        return None
    return present[0] if len(present) == 1 else kind(present)


def to_whoosh(parsed: ParsedQuery, fields: dict[str, float], *, phrase: bool = True) -> Query | None:
    """The whoosh query for ``parsed`` over bigram ``fields`` (name → boost); None when there is nothing to
    search. With ``phrase=True`` each word is a positional Phrase and the results are exact. With
    ``phrase=False`` a word is the AND of its terms (cheaper, but a superset): filter the candidates with
    :func:`matches_exactly`. Exclusions that positions would decide are then left to that filter too."""
    if not fields:
        return None
    positive = [_word_query(word, fields, phrase) for word in [*parsed.must, *parsed.phrases]]
    positive += [_combine([_word_query(word, fields, phrase) for word in group], Or) for group in parsed.any_of]
    query = _combine(positive, And)
    if query is None:
        return None
    excluded = [word for word in parsed.excluded if phrase or _is_exact_without_positions(word)]
    negative = _combine([_word_query(word, fields, phrase) for word in excluded], Or)
    return query if negative is None else Excluding(query, negative)


def with_adjacency_boost(query: Query | None, parsed: ParsedQuery, fields: dict[str, float],
                         boost: float = 2.0) -> Query | None:
    """Rank first the posts where the required words stand together as typed: for 「教員 研修」, a post
    with 「教員研修」 comes before one with 「教員の…研修」. Optional: it adds score, never results."""
    if query is None or len(parsed.must) < 2:
        return query
    together = _word_query("".join(parsed.must), {name: b * boost for name, b in fields.items()}, True)
    return query if together is None else AndMaybe(query, together)


def matches_exactly(parsed: ParsedQuery, text: str | Iterable[str]) -> bool:
    """Whether a document satisfies ``parsed`` by the matching rule, checked on its text with plain
    substring tests. Pass the indexed fields separately (e.g. ``[title, body]``): a word must occur in
    one field, as with the whoosh query; one joined string could let a phrase span two fields."""
    texts = [text] if isinstance(text, str) else list(text)
    forms = [match_form(normalise(item)) for item in texts]

    def found(word: str) -> bool:
        needle = match_form(word)
        return bool(needle) and any(needle in form for form in forms)

    return (all(found(word) for word in [*parsed.must, *parsed.phrases])
            and all(any(found(word) for word in group) for group in parsed.any_of)
            and not any(found(word) for word in parsed.excluded))


def highlight_terms(parsed: ParsedQuery) -> list[str]:
    """The normalised words and phrases to mark in snippets, longest first (exclusions are not marked).
    ``analysis.highlight_spans(text, terms)`` finds them in the original text."""
    words = [*parsed.must, *parsed.phrases, *(word for group in parsed.any_of for word in group)]
    return sorted(dict.fromkeys(words), key=len, reverse=True)

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
    A query of only exclusions or punctuation is empty (``ParsedQuery.is_empty``).
    Nothing here raises for any string.

Words and phrases are matched as described in ``analysis`` (a word's bigrams must appear in sequence):
``engine`` finds the candidates in the index and :func:`matches_exactly` decides on the text.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from .analysis import clean_word, match_form, normalise, query_plan

MAX_QUERY_LENGTH = 200

_PREPARE = str.maketrans({
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u301d": '"', "\u301e": '"', "\u301f": '"',
    "\u2212": "-",
})
_ITEM_RE = re.compile(r'(-?)"([^"]*)"|([^\s"]+)')
_OR = "OR"


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


def matches_exactly(parsed: ParsedQuery, text: str | Iterable[str]) -> bool:
    """Whether a document satisfies ``parsed`` by the matching rule, checked on its text with plain
    substring tests. Pass the indexed fields separately (e.g. ``[title, body]``): a word must occur in
    one field, as in the index; one joined string could let a phrase span two fields."""
    return matches_forms(parsed, text_forms(text))


def text_forms(text: str | Iterable[str]) -> list[str]:
    """The texts as :func:`matches_forms` compares them (to check many queries against the same texts)."""
    return [match_form(normalise(item)) for item in ([text] if isinstance(text, str) else text)]


def matches_forms(parsed: ParsedQuery, forms: list[str]) -> bool:
    """:func:`matches_exactly` on texts already passed through :func:`text_forms`."""
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

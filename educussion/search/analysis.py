"""Japanese text analysis for the search index: normalisation, tokens and the whoosh analyzers.

Normalisation (:func:`normalise`, the same for documents and queries)
    1. Unicode NFKC and case folding: ＩＣＴ→ict, ｶﾀｶﾅ→カタカナ, １→1;
    2. a hyphen between two latin letters is dropped: Wi-Fi→wifi, e-mail→email;
    3. the trailing ー of a katakana run of 3+ characters is dropped: サーバー→サーバ,
       セキュリティー→セキュリティ, コンピューター→コンピュータ (キー, カー keep theirs);
    4. every variant in :data:`SYNONYMS` is rewritten to its canonical spelling (1人1台→一人一台, ギガ→giga).

Runs
    The normalised text is cut into *word* runs (latin letters, digits and other non-CJK letters) and *CJK*
    runs (kanji, hiragana, katakana, ー, 々, 〆, 〇). Everything else (spaces, punctuation, symbols, emoji)
    only separates runs.

Fields
    A text field ``name`` is indexed twice (:func:`field_types` builds both):

    ``name``: :func:`japanese_analyzer`. The index keeps each token's frequency, not its positions (the
        order is checked on the text, see below); the tokens still get consecutive positions:
        - a word run is one token (``chromebook``, ``5g``, ``2025``): latin words match whole words only;
        - a CJK run of 2+ characters gives its overlapping bigrams (研修会 → 研修, 修会);
        - a CJK run of 1 character gives itself (県);
        - :data:`GAP` (``_``) stands where a space or punctuation separates two CJK runs, so the quoted
          phrase "教員 研修" matches 「教員、研修」 but not 「教員研修」, and a word never spans a 。;
        - sharing a position with a run's first / last token, the edge markers ``X>`` ("a run that
          starts with X") and ``<X`` ("a run that ends with X"). They make a query word that mixes
          scripts around a single kanji, like 「ICT化」 or 「iPad用」, a phrase ``ict``, ``化>`` that
          matches 「ICT化の推進」.
    ``name`` + :data:`UNIGRAM_SUFFIX` (``name_uni``): :func:`unigram_analyzer`. Every CJK character on
        its own. Used only for a query word that is a single CJK character (県, 村), which must also match
        inside longer runs (県教委, 村立). A separate field keeps these frequent, short postings out of
        the bigram field, so multi-character words stay cheap.

The matching rule
    A query word (or quoted phrase) matches where its tokens (:func:`query_plan`) occur in sequence, that
    is when the word's :func:`match_form` is a substring of the document's: CJK text matches anywhere (any
    substring of 2+ characters is found), latin words match whole words, and the separators inside the
    query word must be there too. ``engine`` finds the documents that have all the tokens (exact for a
    one-token word); ``query.matches_exactly`` checks the rule on the text with plain string operations.

Changing anything here (including :data:`SYNONYMS`) changes the tokens: run ``flask search reindex``.
The schema is pickled into the index, so the analyzer classes must keep their import path.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from whoosh.analysis import Token, Tokenizer
from whoosh.fields import TEXT, FieldType

#: Canonical spelling → variants. Written naturally: entries are normalised like the text they match.
#: Edit freely, then run ``flask search reindex``. A canonical spelling must not contain a variant.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "一人一台": ("1人1台", "一人1台", "1人一台"),
    "giga": ("ギガ",),
    "wifi": ("Wi-Fi", "Wi Fi", "ワイファイ"),
    "ICT支援員": ("情報通信技術支援員",),
}

UNIGRAM_SUFFIX = "_uni"  #: suffix of the single-character field that belongs to a bigram field
GAP = "_"  #: the token standing for a separator between two CJK runs
MAX_WORD = 100  #: latin words are cut to this length (index and query alike) to keep terms small

_CJK = (
    "\u3005-\u3007\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
)
_KATAKANA = "\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff"
_LATIN = "0-9a-z\u00df-\u024f"
_COMBINING = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_RUN_RE = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>(?:(?![{_CJK}])[^\W_])(?:(?![{_CJK}])[^\W_]|[{_COMBINING}])*)")
_HYPHEN_RE = re.compile(r"(?<=[a-z])[-\u2010\u2011](?=[a-z])")
_KATAKANA_RUN_RE = re.compile(rf"[{_KATAKANA}]{{3,}}")
_EDGE_SEPARATORS_RE = re.compile(r"^[\W_]+|[\W_]+$")
_SEPARATORS = r"[\W_]"
_HALFWIDTH_SOUND_MARKS = "\uff9e\uff9f"

Spans = list[tuple[int, int]]


class Run(NamedTuple):
    """A run of the normalised text: kind is "word", "cjk" or "gap"; start/end index the normalised text."""

    kind: str
    text: str
    start: int
    end: int


class QueryPlan(NamedTuple):
    """How a query word is searched: ``terms`` in sequence in the bigram field, or, when ``unigram`` is
    true, the one character ``terms[0]`` in the unigram field. ``terms`` is empty for a word without tokens."""

    unigram: bool
    terms: list[str]


# --- normalisation ---------------------------------------------------------------------------------------

def _fold_case(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _fold_long_vowel(match: re.Match[str]) -> str:
    run = match.group()
    base = run.rstrip("ー")
    return base if len(base) >= 2 else run


def _sub(pattern: re.Pattern[str], repl, text: str, spans: Spans | None) -> tuple[str, Spans | None]:
    """``pattern.sub(repl, text)``, carrying each character's span in the original text along."""
    if spans is None:
        return pattern.sub(repl, text), None
    out: list[str] = []
    out_spans: Spans = []
    last = 0
    for match in pattern.finditer(text):
        new = repl(match)
        out.append(text[last:match.start()])
        out_spans.extend(spans[last:match.start()])
        if match.group().startswith(new):
            out_spans.extend(spans[match.start():match.start() + len(new)])
        else:
            out_spans.extend([(spans[match.start()][0], spans[match.end() - 1][1])] * len(new))
        out.append(new)
        last = match.end()
    out.append(text[last:])
    out_spans.extend(spans[last:])
    return "".join(out), out_spans


def _folded_with_spans(text: str) -> tuple[str, Spans]:
    """NFKC + case folding, with the span of the original text each output character came from."""
    whole = _fold_case(text)
    pieces: list[str] = []
    spans: Spans = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and (unicodedata.combining(text[j]) or text[j] in _HALFWIDTH_SOUND_MARKS):
            j += 1
        piece = _fold_case(text[i:j])
        pieces.append(piece)
        spans.extend([(i, j)] * len(piece))
        i = j
    if "".join(pieces) != whole:  # a composition across characters (rare): spread the offsets evenly
        spans = [(k * n // len(whole), max((k + 1) * n // len(whole), k * n // len(whole) + 1))
                 for k in range(len(whole))]
    return whole, spans


def _rewrite_steps(text: str, spans: Spans | None, synonyms: bool) -> tuple[str, Spans | None]:
    text, spans = _sub(_HYPHEN_RE, lambda m: "", text, spans)
    text, spans = _sub(_KATAKANA_RUN_RE, _fold_long_vowel, text, spans)
    if synonyms and _SYNONYM_RE is not None:
        text, spans = _sub(_SYNONYM_RE, lambda m: _SYNONYM_TARGET[m.group()], text, spans)
        # a canonical spelling can make a new hyphen or katakana context: settle it once more
        text, spans = _rewrite_steps(text, spans, synonyms=False)
    return text, spans


def normalise(text: str) -> str:
    """The text as the index sees it: NFKC, case-folded, hyphens in latin words and katakana long-vowel
    endings dropped, synonyms rewritten to their canonical spelling."""
    return _rewrite_steps(_fold_case(text), None, synonyms=True)[0]


def normalise_with_spans(text: str) -> tuple[str, Spans]:
    """:func:`normalise` plus, for each character of the result, its (start, end) in ``text``."""
    folded, spans = _folded_with_spans(text)
    normalised, spans = _rewrite_steps(folded, spans, synonyms=True)
    return normalised, spans or []


def _build_synonyms() -> tuple[re.Pattern[str] | None, dict[str, str]]:
    target: dict[str, str] = {}
    for canonical, variants in SYNONYMS.items():
        canonical_form = _rewrite_steps(_fold_case(canonical), None, synonyms=False)[0]
        for variant in variants:
            variant_form = _rewrite_steps(_fold_case(variant), None, synonyms=False)[0]
            if variant_form and variant_form != canonical_form:
                target[variant_form] = canonical_form
    if not target:
        return None, target
    alternatives = []
    for variant in sorted(target, key=len, reverse=True):
        before = rf"(?<![{_LATIN}])" if re.match(rf"[{_LATIN}]", variant) else ""
        after = rf"(?![{_LATIN}])" if re.search(rf"[{_LATIN}]$", variant) else ""
        alternatives.append(before + re.escape(variant) + after)
    return re.compile("|".join(alternatives)), target


_SYNONYM_RE, _SYNONYM_TARGET = _build_synonyms()


# --- runs and tokens -------------------------------------------------------------------------------------

def runs(normalised: str) -> list[Run]:
    """The word and CJK runs of normalised text, with a "gap" run between two CJK runs."""
    out: list[Run] = []
    for match in _RUN_RE.finditer(normalised):
        kind = "cjk" if match.group("cjk") else "word"
        if kind == "cjk" and out and out[-1].kind == "cjk":
            out.append(Run("gap", GAP, out[-1].end, match.start()))
        text = match.group() if kind == "cjk" else match.group()[:MAX_WORD]
        out.append(Run(kind, text, match.start(), match.end()))
    return out


def match_form(normalised: str) -> str:
    """The string the matching rule compares: words wrapped in \\x01, CJK runs as they are, one space
    between two CJK runs that something separates; other separators vanish."""
    parts = []
    for run in runs(normalised):
        if run.kind == "word":
            parts.append(f"\x01{run.text}\x01")
        else:
            parts.append(" " if run.kind == "gap" else run.text)
    return "".join(parts)


def _cjk_terms(run: Run, pos: int) -> Iterator[tuple[int, str, int, int]]:
    text, start = run.text, run.start
    if len(text) == 1:
        for term in (text, text + ">", "<" + text):
            yield pos, term, start, start + 1
        return
    yield pos, text[0] + ">", start, start + 1
    for i in range(len(text) - 1):
        yield pos + i, text[i:i + 2], start + i, start + i + 2
    last = len(text) - 2
    yield pos + last, "<" + text[-1], start + last + 1, start + last + 2


def _index_terms(all_runs: list[Run]) -> Iterator[tuple[int, str, int, int]]:
    """(position, term, start, end) for the bigram field; several terms may share a position."""
    pos = 0
    for run in all_runs:
        if run.kind == "cjk":
            yield from _cjk_terms(run, pos)
            pos += max(len(run.text) - 1, 1)
        else:
            yield pos, run.text, run.start, run.end
            pos += 1


def _unigram_terms(all_runs: list[Run]) -> Iterator[tuple[int, str, int, int]]:
    pos = 0
    for run in all_runs:
        if run.kind != "cjk":
            continue
        for i, char in enumerate(run.text):
            yield pos, char, run.start + i, run.start + i + 1
            pos += 1


def tokens(text: str) -> list[str]:
    """The words, CJK bigrams and single-character runs of ``text``, in order (no markers or gaps)."""
    return [term for _, term, _, _ in _index_terms(runs(normalise(text)))
            if term != GAP and not term.startswith("<") and not term.endswith(">")]


def _query_cjk_terms(text: str, fixed_left: bool, fixed_right: bool) -> list[str]:
    if len(text) > 1:
        return [text[i:i + 2] for i in range(len(text) - 1)]
    if fixed_left and fixed_right:
        return [text]
    return [text + ">"] if fixed_left else ["<" + text]


def query_plan(text: str) -> QueryPlan:
    """How one query word or phrase is searched (see the module docstring for the rule)."""
    word_runs = runs(normalise(text))
    if len(word_runs) == 1 and word_runs[0].kind == "cjk" and len(word_runs[0].text) == 1:
        return QueryPlan(True, [word_runs[0].text])
    terms: list[str] = []
    last = len(word_runs) - 1
    for i, run in enumerate(word_runs):
        if run.kind == "cjk":
            terms.extend(_query_cjk_terms(run.text, i > 0, i < last))
        else:
            terms.append(run.text)
    return QueryPlan(False, terms)


def clean_word(text: str) -> str:
    """A query word as it is matched and highlighted: normalised, separators at either end dropped."""
    return _EDGE_SEPARATORS_RE.sub("", normalise(text))


def highlight_spans(text: str, terms: Iterable[str]) -> Spans:
    """Where normalised ``terms`` (``query.highlight_terms``) occur in the original ``text``: sorted,
    merged (start, end) offsets into ``text``, following the matching rule (ＷｉＦｉ is found for "wifi")."""
    normalised, spans = normalise_with_spans(text)
    found: Spans = []
    for term in terms:
        pattern = _highlight_pattern(term)
        if pattern is None:
            continue
        for match in pattern.finditer(normalised):
            found.append((spans[match.start()][0], spans[match.end() - 1][1]))
    merged: Spans = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _highlight_pattern(term: str) -> re.Pattern[str] | None:
    parts: list[str] = []
    for run in runs(normalise(term)):
        if run.kind == "gap":
            parts.append(_SEPARATORS + "+")
            continue
        if parts and parts[-1] != _SEPARATORS + "+":
            parts.append(_SEPARATORS + "*")
        if run.kind == "word":
            parts.append(rf"(?<![{_LATIN}]){re.escape(run.text)}(?![{_LATIN}])")
        else:
            parts.append(re.escape(run.text))
    return re.compile("".join(parts)) if parts else None


# --- whoosh ----------------------------------------------------------------------------------------------

class _RunTokenizer(Tokenizer):
    """Normalises the value, cuts it into runs and yields the terms of ``_terms`` as whoosh tokens.
    Character offsets (``chars=True``, used by highlighting) point into the original value."""

    _terms = staticmethod(_index_terms)

    def __call__(self, value: str, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
                 removestops: bool = True, start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
                 mode: str = "", **kwargs) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            yield self._whole(token, value, positions, chars, start_pos, start_char)
            return
        if chars:
            normalised, spans = normalise_with_spans(value)
        else:
            normalised, spans = normalise(value), []
        for pos, term, start, end in self._terms(runs(normalised)):
            token.text = term
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = term
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char + spans[start][0]
                token.endchar = start_char + spans[end - 1][1]
            yield token

    @staticmethod
    def _whole(token: Token, value: str, positions: bool, chars: bool, start_pos: int, start_char: int) -> Token:
        token.text = token.original = value
        token.boost = 1.0
        if positions:
            token.pos = start_pos
        if chars:
            token.startchar, token.endchar = start_char, start_char + len(value)
        return token


class JapaneseTokenizer(_RunTokenizer):
    """Words, CJK bigrams, single-character runs, gaps and edge markers, with consecutive positions."""

    _terms = staticmethod(_index_terms)


class UnigramTokenizer(_RunTokenizer):
    """Every CJK character of the text on its own (for the ``*_uni`` fields)."""

    _terms = staticmethod(_unigram_terms)


def japanese_analyzer() -> JapaneseTokenizer:
    """The analyzer of the bigram fields (title, body): normalises itself, so it needs no filters."""
    return JapaneseTokenizer()


def unigram_analyzer() -> UnigramTokenizer:
    """The analyzer of the single-character fields (title_uni, body_uni)."""
    return UnigramTokenizer()


def field_types(name: str, *, stored: bool = False) -> dict[str, FieldType]:
    """The two whoosh fields of one searchable text: ``name`` (bigrams) and ``name_uni``, both without
    positions. Index the same text into both."""
    return {
        name: TEXT(analyzer=japanese_analyzer(), phrase=False, stored=stored),
        name + UNIGRAM_SUFFIX: TEXT(analyzer=unigram_analyzer(), phrase=False),
    }

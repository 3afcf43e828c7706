"""Japanese analysis and query syntax: normalisation, tokens, parsing, and searching any input."""
from __future__ import annotations

import pytest
from whoosh.fields import ID, Schema
from whoosh.filedb.filestore import RamStorage

from educussion.search.analysis import (
    GAP, MAX_WORD, SYNONYMS, QueryPlan, field_types, highlight_spans, japanese_analyzer, match_form, normalise,
    normalise_with_spans, query_plan, tokens, unigram_analyzer,
)
from educussion.search import engine
from educussion.search.syntax import MAX_QUERY_LENGTH, ParsedQuery, highlight_terms, matches_exactly, parse

NASTY = [
    '"', '""', '"""', "-", "--", "- -", "OR", "OR OR", "a OR", "OR a", "a OR OR b", "a OR -b", "AND", "NOT",
    "***", "?", "*?*", "(", ")", "()", "\\", "[", "]", "{", "}", "^", "~", ":", "title:x", "body:(a OR b)",
    "a^3", "a~2", "😀", "👨‍👩‍👧", "\x00", "\x1b[31m赤\x1b[0m", "\u200b\u200d\ufeff", "\ud800", "\t\n\r",
    "x" * 5000, "あ" * 5000, "漢字" * 300 + '"', "-" * 300, '"' * 301, "ＯＲ", "”", "－", "　", "・・・",
    "<script>alert(1)</script>", "'; DROP TABLE posts; --", "%00", "\u0301", "ﾞ", "ー", "〇〇",
]


# --- normalisation ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("ＩＣＴ", "ict"),
    ("Ｃｈｒｏｍｅｂｏｏｋ", "chromebook"),
    ("ｶﾀｶﾅ", "カタカナ"),
    ("ｶﾞｯｺｳ", "ガッコウ"),
    ("１２３", "123"),
    ("令和７年度", "令和7年度"),
    ("５Ｇ", "5g"),
    ("全角　スペース", "全角 スペース"),
    ("①", "1"),
    ("㈱", "(株)"),
])
def test_nfkc_and_lower_case(raw, expected):
    assert normalise(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("サーバー", "サーバ"),
    ("ｻｰﾊﾞｰ", "サーバ"),
    ("セキュリティー", "セキュリティ"),
    ("コンピューター", "コンピュータ"),
    ("ユーザー", "ユーザ"),
    ("サーバー室の更新", "サーバ室の更新"),
    ("プリンターとルーター", "プリンタとルータ"),
    ("キー", "キー"),  # two characters keep their long vowel
    ("カー", "カー"),
    ("データ", "データ"),  # no trailing ー
    ("すごーい", "すごーい"),  # hiragana is not folded
    ("ーーー", "ーーー"),
])
def test_katakana_long_vowel_endings_fold(raw, expected):
    assert normalise(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("Wi-Fi", "wifi"),
    ("wi-fi", "wifi"),
    ("WiFi", "wifi"),
    ("Ｗｉ－Ｆｉ", "wifi"),
    ("Wi Fi", "wifi"),
    ("ワイファイ", "wifi"),
    ("e-mail", "email"),
    ("2025-04-01", "2025-04-01"),  # a hyphen between digits stays a separator
    ("1人1台", "一人一台"),
    ("１人１台", "一人一台"),
    ("一人1台", "一人一台"),
    ("21人1台", "21人1台"),  # a variant starting with a digit needs a boundary
    ("ギガスクール", "gigaスクール"),
    ("GIGAスクール", "gigaスクール"),
    ("情報通信技術支援員", "ict支援員"),
    ("ＩＣＴ支援員", "ict支援員"),
    ("wi fix", "wi fix"),  # a latin variant matches whole words only
])
def test_hyphens_and_synonyms_fold_to_one_spelling(raw, expected):
    assert normalise(raw) == expected


def test_synonym_canonicals_are_stable():
    for canonical in SYNONYMS:
        assert normalise(canonical) == normalise(normalise(canonical))
        for variant in SYNONYMS[canonical]:
            assert normalise(variant) == normalise(canonical)


@pytest.mark.parametrize("raw", [
    "GIGAスクール構想における1人1台端末の更新費用", "ｻｰﾊﾞｰ-ギガ-wifi", "ギガ-x", "Ｗｉ－Ｆｉ環境", "İstanbul", *NASTY,
])
def test_normalise_is_idempotent(raw):
    assert normalise(normalise(raw)) == normalise(raw)


def test_normalise_with_spans_maps_back_to_the_original():
    raw = "ＷｉＦｉとｻｰﾊﾞｰと１人１台"
    normalised, spans = normalise_with_spans(raw)
    assert normalised == normalise(raw) == "wifiとサーバと一人一台"
    assert len(spans) == len(normalised)
    assert raw[spans[0][0]:spans[3][1]] == "ＷｉＦｉ"
    assert raw[spans[5][0]:spans[7][1]] == "ｻｰﾊﾞ"
    assert raw[spans[9][0]:spans[12][1]] == "１人１台"


# --- tokens ----------------------------------------------------------------------------------------------

def test_tokens_of_a_typical_title():
    assert tokens("GIGAスクール構想における1人1台端末の更新費用") == [
        "giga", "スク", "クー", "ール", "ル構", "構想", "想に", "にお", "おけ", "ける", "る一", "一人", "人一",
        "一台", "台端", "端末", "末の", "の更", "更新", "新費", "費用",
    ]


@pytest.mark.parametrize(("raw", "expected"), [
    ("県", ["県"]),
    ("県、村", ["県", "村"]),
    ("長野県の村", ["長野", "野県", "県の", "の村"]),
    ("Chromebook 5G 2025年度", ["chromebook", "5g", "2025", "年度"]),
    ("Wi-Fi環境", ["wifi", "環境"]),
    ("iPad用", ["ipad", "用"]),
    ("教員の研修。", ["教員", "員の", "の研", "研修"]),
    ("😀 *** ???", []),
])
def test_tokens(raw, expected):
    assert tokens(raw) == expected


def _analysed(analyzer, text):
    return [(t.text, t.pos, t.startchar, t.endchar) for t in analyzer(text, positions=True, chars=True)]


def test_japanese_analyzer_positions_markers_and_original_offsets():
    assert _analysed(japanese_analyzer(), "ＩＣＴ化の推進、県") == [
        ("ict", 0, 0, 3),
        ("化>", 1, 3, 4), ("化の", 1, 3, 5), ("の推", 2, 4, 6), ("推進", 3, 5, 7), ("<進", 3, 6, 7),
        (GAP, 4, 7, 8),
        ("県", 5, 8, 9), ("県>", 5, 8, 9), ("<県", 5, 8, 9),
    ]


def test_analyzer_without_chars_gives_the_same_terms_and_positions():
    text = "校務用サーバー（ｻｰﾊﾞｰ）とWi-Fi 6E、１人１台"
    with_chars = [(t, p) for t, p, _, _ in _analysed(japanese_analyzer(), text)]
    without = [(t.text, t.pos) for t in japanese_analyzer()(text, positions=True)]
    assert with_chars == without


def test_unigram_analyzer_gives_every_cjk_character():
    assert [t.text for t in unigram_analyzer()("県教委とICT、村")] == ["県", "教", "委", "と", "村"]


def test_analyzers_are_equal_to_fresh_ones_so_schemas_compare_equal():
    assert japanese_analyzer() == japanese_analyzer()
    assert field_types("title") == field_types("title")


def test_long_latin_words_are_cut():
    assert tokens("a" * 500) == ["a" * MAX_WORD]


@pytest.mark.parametrize(("raw", "plan"), [
    ("県", QueryPlan(True, ["県"])),
    ("「県」", QueryPlan(True, ["県"])),
    ("研修", QueryPlan(False, ["研修"])),
    ("教員研修", QueryPlan(False, ["教員", "員研", "研修"])),
    ("教員 研修", QueryPlan(False, ["教員", GAP, "研修"])),
    ("ICT化", QueryPlan(False, ["ict", "化>"])),
    ("化ICT", QueryPlan(False, ["<化", "ict"])),
    ("a県b", QueryPlan(False, ["a", "県", "b"])),
    ("Wi-Fi", QueryPlan(False, ["wifi"])),
    ("***", QueryPlan(False, [])),
])
def test_query_plan(raw, plan):
    assert query_plan(raw) == plan


def test_match_form():
    assert match_form(normalise("Wi-Fi 環境、整備。")) == "\x01wifi\x01環境 整備"


def test_highlight_spans_find_normalised_terms_in_the_original_text():
    text = "ＷｉＦｉ環境とｻｰﾊﾞｰ、Wi-Fi 6E"
    spans = highlight_spans(text, ["wifi環境", "サーバ", "wifi"])
    assert [text[start:end] for start, end in spans] == ["ＷｉＦｉ環境", "ｻｰﾊﾞ", "Wi-Fi"]
    assert highlight_spans("wifix", ["wifi"]) == []


# --- parsing ---------------------------------------------------------------------------------------------

def _lists(parsed: ParsedQuery):
    return parsed.must, parsed.phrases, parsed.excluded, parsed.any_of


@pytest.mark.parametrize(("raw", "must", "phrases", "excluded", "any_of"), [
    ("教員 研修", ["教員", "研修"], [], [], []),
    ("  ＩＣＴ　支援員  ", ["ict", "支援員"], [], [], []),
    ('"教員 研修"', [], ["教員 研修"], [], []),
    ("“教員 研修”", [], ["教員 研修"], [], []),
    ("”教員　研修”", [], ["教員 研修"], [], []),
    ("＂教員 研修＂", [], ["教員 研修"], [], []),
    ("端末 -更新", ["端末"], [], ["更新"], []),
    ("端末 －更新", ["端末"], [], ["更新"], []),
    ("端末 −更新", ["端末"], [], ["更新"], []),
    ('端末 -"校務 用"', ["端末"], [], ["校務 用"], []),
    ("端末 OR タブレット", [], [], [], [["端末", "タブレット"]]),
    ("端末 ＯＲ タブレット", [], [], [], [["端末", "タブレット"]]),
    ("a OR b OR c d", ["d"], [], [], [["a", "b", "c"]]),
    ('"教員 研修" OR 研修会 予算', ["予算"], [], [], [["教員 研修", "研修会"]]),
    ("端末 or タブレット", ["端末", "or", "タブレット"], [], [], []),
    ("端末 端末 ＴＡＮＭＡＴＳＵ tanmatsu", ["端末", "tanmatsu"], [], [], []),
    ("a OR a", ["a"], [], [], []),
    ("端末 OR ***", ["端末"], [], [], []),
    ("サーバー* wi?fi", ["サーバ", "wi?fi"], [], [], []),
    ('端末 ""', ["端末"], [], [], []),
])
def test_parse(raw, must, phrases, excluded, any_of):
    parsed = parse(raw)
    assert _lists(parsed) == (must, phrases, excluded, any_of)
    assert not parsed.plain_text
    assert not parsed.truncated


@pytest.mark.parametrize(("raw", "must"), [
    ('"教員 研修', ["教員", "研修"]),  # unbalanced quote
    ("端末 -", ["端末"]),  # lone minus
    ("OR 端末", ["or", "端末"]),
    ("端末 OR", ["端末", "or"]),
    ("a OR OR b", ["a", "or", "b"]),
    ("a OR -b", ["a", "or", "b"]),
    ("-a OR b", ["a", "or", "b"]),
    ('-"教員', ["教員"]),
])
def test_broken_syntax_is_searched_as_plain_text(raw, must):
    parsed = parse(raw)
    assert parsed.plain_text
    assert (parsed.phrases, parsed.excluded, parsed.any_of) == ([], [], [])
    assert parsed.must == must


@pytest.mark.parametrize("raw", ["", "   ", "***", "?", "。、！", "😀", '"', "-", "\x00"])
def test_punctuation_only_queries_are_empty(raw):
    parsed = parse(raw)
    assert parsed.is_empty


def test_only_exclusions_search_nothing():
    parsed = parse("-端末")
    assert parsed.excluded == ["端末"]
    assert parsed.is_empty


def test_long_query_is_cut_and_flagged():
    raw = ("端末の更新 " * 100)[:500]
    parsed = parse(raw)
    assert len(raw) == 500
    assert parsed.truncated
    assert parsed.text == raw[:MAX_QUERY_LENGTH]
    assert len(parsed.text) == MAX_QUERY_LENGTH
    assert not parse(raw[:MAX_QUERY_LENGTH]).truncated


def test_non_string_input_does_not_raise():
    assert parse(None).is_empty  # type: ignore[arg-type]


# --- matching ------------------------------------------------------------------------------------------

def test_matches_exactly():
    parsed = parse('教員研修 -"教員 研修"')
    assert matches_exactly(parsed, "夏の教員研修")
    assert not matches_exactly(parsed, "教員の研修")
    assert not matches_exactly(parsed, ["教員研修", "教員、研修"])
    assert matches_exactly(parse("ICT化"), ["ＩＣＴ化の推進"])
    assert not matches_exactly(parse("ICT"), "ICTS")
    assert matches_exactly(parse("県"), "長野県教委")
    assert not matches_exactly(parse('"教員 研修"'), ["教員", "研修"])  # a phrase does not span two fields


def test_highlight_terms():
    parsed = parse('Ｗｉ－Ｆｉ環境 "教員 研修" -予算 サーバー OR 端末')
    assert highlight_terms(parsed) == ["wifi環境", "教員 研修", "サーバ", "端末"]


@pytest.mark.parametrize("raw", NASTY, ids=[repr(raw[:12]) for raw in NASTY])
def test_nasty_input_never_raises(raw):
    parsed = parse(raw)
    assert len(parsed.text) <= MAX_QUERY_LENGTH
    engine.is_exact(parsed)
    matches_exactly(parsed, raw)
    highlight_spans(raw, highlight_terms(parsed))


def test_nasty_input_indexes_and_searches():
    schema = Schema(id=ID(stored=True), **field_types("body"))
    index = RamStorage().create_index(schema)
    with index.writer() as writer:
        for number, raw in enumerate(NASTY):
            writer.add_document(id=str(number), body=raw, body_uni=raw)
    with index.searcher() as searcher:
        for raw in NASTY:
            parsed = parse(raw)
            if not parsed.is_empty:
                engine.rank(searcher, parsed, {"body": 1.0}, depth=5)
        found = engine.rank(searcher, parse("赤"), {"body": 1.0})
        assert [searcher.stored_fields(docnum)["id"] for docnum in found.docnums] == [
            str(NASTY.index("\x1b[31m赤\x1b[0m"))]


def test_there_are_at_least_forty_nasty_inputs():
    assert len(NASTY) >= 40

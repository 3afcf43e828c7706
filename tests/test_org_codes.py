"""Organisation codes: 地方公共団体コード check digits, the code list, 法人番号, domain hints."""
from collections import Counter
from dataclasses import FrozenInstanceError

import pytest

from educussion.orgs.codes import (
    Municipality,
    corporate_number_check_digit,
    domain_hint_labels,
    load_municipalities,
    mayor_title,
    municipality_check_digit,
    normalise_corporate_number,
    normalise_municipality_code,
)


def by_code() -> dict[str, Municipality]:
    return {m.code: m for m in load_municipalities()}


# --- 全国地方公共団体コード --------------------------------------------------------------

@pytest.mark.parametrize("first_five, digit", [
    ("41204", 0),  # 412040 多久市
    ("01100", 2),  # 011002 札幌市
    ("01213", 1),  # 012131 苫小牧市
    ("41000", 4),  # 410004 佐賀県
    ("01218", 1),  # 012181 赤平市
    ("13101", 6),  # 131016 千代田区
])
def test_municipality_check_digit(first_five, digit):
    assert municipality_check_digit(first_five) == digit


@pytest.mark.parametrize("raw", ["4120", "412044", "4120a", "", "４１２"])
def test_municipality_check_digit_rejects_anything_but_five_ascii_digits(raw):
    with pytest.raises(ValueError, match="format"):
        municipality_check_digit(raw)


@pytest.mark.parametrize("raw, code", [
    ("41204", "412040"),  # five digits: the check digit is appended
    ("412040", "412040"),
    ("４１２０４０", "412040"),  # full-width digits
    ("４１２０４", "412040"),
    (" 41204-0 ", "412040"),
    ("01100", "011002"),
    ("012181", "012181"),
    ("01213", "012131"),
])
def test_normalise_municipality_code(raw, code):
    assert normalise_municipality_code(raw) == code


@pytest.mark.parametrize("raw", ["412041", "011001", "012182", "４１２０４９"])
def test_normalise_municipality_code_rejects_a_wrong_check_digit(raw):
    with pytest.raises(ValueError, match="check digit"):
        normalise_municipality_code(raw)


@pytest.mark.parametrize("raw", ["", "4120", "4120400", "41204a", "多久市", "٤١٢٠٤"])
def test_normalise_municipality_code_rejects_bad_formats(raw):
    with pytest.raises(ValueError, match="format"):
        normalise_municipality_code(raw)


def test_a_valid_check_digit_is_not_identity_the_list_tells_akabira_from_tomakomai():
    # 012181 passes the check digit; only the list says which municipality it is.
    assert normalise_municipality_code("012181") == "012181"
    codes = by_code()
    assert codes["012181"].name == "赤平市"
    assert codes["012131"].name == "苫小牧市"
    assert normalise_municipality_code("01299") not in codes  # a valid digit, but no such municipality


# --- The code list (municipalities.csv) ----------------------------------------------

def test_the_list_has_every_prefecture_and_municipality():
    rows = load_municipalities()
    kinds = Counter(m.kind for m in rows)
    assert len(rows) == 1788
    assert kinds["prefecture"] == 47
    assert kinds["special_ward"] == 23
    assert len(rows) - kinds["prefecture"] == 1741
    assert set(kinds) == {"prefecture", "city", "town", "village", "special_ward"}


def test_codes_are_unique_six_digits_with_valid_check_digits():
    codes = [m.code for m in load_municipalities()]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert len(code) == 6 and code.isascii() and code.isdigit(), code
        assert municipality_check_digit(code[:5]) == int(code[5]), code
        assert normalise_municipality_code(code) == code


def test_rows_are_consistent():
    for m in load_municipalities():
        assert m.name and m.prefecture and m.kana and m.romaji, m
        assert m.romaji.isascii() and m.romaji.isalpha() and m.romaji.islower(), m
        assert all("\u30a0" <= ch <= "\u30ff" for ch in m.kana), m  # full-width katakana only
        if m.kind == "prefecture":
            assert m.name == m.prefecture and m.code[2:5] == "000", m
        else:
            assert m.code[2:5] != "000", m
        expected_suffix = {"city": "市", "town": "町", "village": "村", "special_ward": "区"}.get(m.kind)
        if expected_suffix:
            assert m.name.endswith(expected_suffix), m


def test_special_wards_are_tokyos_23_and_designated_city_wards_are_absent():
    wards = [m for m in load_municipalities() if m.kind == "special_ward"]
    assert {m.prefecture for m in wards} == {"東京都"}
    assert wards[0].code == "131016" and wards[-1].code == "131237"
    codes = by_code()
    assert "011011" not in codes  # 札幌市中央区 (a ward of a designated city)
    assert "141011" not in codes  # 横浜市鶴見区


def test_the_list_keeps_leading_zeros_and_full_width_kana():
    hokkaido = by_code()["010006"]
    assert hokkaido == Municipality("010006", "北海道", "北海道", "ホッカイドウ", "prefecture", "hokkaido")
    assert by_code()["412040"].kana == "タクシ"


def test_municipality_is_frozen_and_the_cached_list_cannot_be_changed_by_callers():
    rows = load_municipalities()
    with pytest.raises(FrozenInstanceError):
        rows[0].name = "x"
    rows.clear()
    assert len(load_municipalities()) == 1788


def test_load_municipalities_reads_another_path(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("code,prefecture,name,kana,kind,romaji\n412040,佐賀県,多久市,タクシ,city,taku\n",
                    encoding="utf-8")
    assert load_municipalities(path) == [Municipality("412040", "佐賀県", "多久市", "タクシ", "city", "taku")]
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name\n412040,多久市\n", encoding="utf-8")
    with pytest.raises(ValueError, match="columns"):
        load_municipalities(bad)


@pytest.mark.parametrize("code, name, kind, romaji", [
    ("412040", "多久市", "city", "taku"),
    ("011002", "札幌市", "city", "sapporo"),
    ("012131", "苫小牧市", "city", "tomakomai"),
    ("012181", "赤平市", "city", "akabira"),
    ("410004", "佐賀県", "prefecture", "saga"),
    ("010006", "北海道", "prefecture", "hokkaido"),
    ("270008", "大阪府", "prefecture", "osaka"),
    ("130001", "東京都", "prefecture", "tokyo"),
    ("260002", "京都府", "prefecture", "kyoto"),
    ("390003", "高知県", "prefecture", "kochi"),
    ("440001", "大分県", "prefecture", "oita"),
    ("131016", "千代田区", "special_ward", "chiyoda"),
    ("131041", "新宿区", "special_ward", "shinjuku"),
    ("131130", "渋谷区", "special_ward", "shibuya"),
    ("472018", "那覇市", "city", "naha"),
    ("132012", "八王子市", "city", "hachioji"),
    ("012068", "釧路市", "city", "kushiro"),
    ("041009", "仙台市", "city", "sendai"),
    ("281000", "神戸市", "city", "kobe"),
    ("014001", "倶知安町", "town", "kutchan"),  # っ before ch is written t
    ("016616", "釧路町", "town", "kushiro"),  # ﾁｮｳ stripped
    ("013617", "江差町", "town", "esashi"),  # ﾁｮｳ stripped
    ("072028", "会津若松市", "city", "aizuwakamatsu"),  # ヅ -> zu
    ("100005", "群馬県", "prefecture", "gunma"),  # ん before m stays n
    ("162043", "魚津市", "city", "uozu"),  # うお is not a long vowel
    ("122181", "勝浦市", "city", "katsuura"),  # 勝|浦: not a long vowel (READING_FIXES)
    ("112062", "行田市", "city", "gyoda"),  # source writes ｷﾞﾖｳ for ｷﾞｮｳ (READING_FIXES)
    ("133621", "利島村", "village", "toshima"),  # ﾑﾗ stripped
    ("313840", "日吉津村", "village", "hiezu"),  # ｿﾝ stripped
])
def test_romaji_spot_checks(code, name, kind, romaji):
    m = by_code()[code]
    assert (m.name, m.kind, m.romaji) == (name, kind, romaji)


# --- 法人番号 -----------------------------------------------------------------------------

@pytest.mark.parametrize("number", [
    "7000012050002",  # 国税庁
    "2021001052596",
    "1180301018771",
    "5010401067252",
])
def test_published_corporate_numbers_satisfy_the_check_digit(number):
    assert corporate_number_check_digit(number[1:]) == int(number[0])
    assert normalise_corporate_number(number) == number


@pytest.mark.parametrize("raw", ["７０００ ０１２０ ５０００２", "7000-0120-50002", " 7000012050002 "])
def test_normalise_corporate_number_accepts_full_width_spaces_and_hyphens(raw):
    assert normalise_corporate_number(raw) == "7000012050002"


@pytest.mark.parametrize("raw", ["6000012050002", "7000012050003", "1021001052596"])
def test_normalise_corporate_number_rejects_a_wrong_check_digit(raw):
    with pytest.raises(ValueError, match="check digit"):
        normalise_corporate_number(raw)


@pytest.mark.parametrize("raw", ["", "000012050002", "70000120500021", "700001205000x", "国税庁"])
def test_normalise_corporate_number_rejects_bad_formats(raw):
    with pytest.raises(ValueError, match="format"):
        normalise_corporate_number(raw)


def test_corporate_check_digit_needs_twelve_digits():
    with pytest.raises(ValueError, match="format"):
        corporate_number_check_digit("7000012050002")


# --- E-mail domain hints ---------------------------------------------------------------

@pytest.mark.parametrize("email, labels", [
    ("x@city.taku.lg.jp", ["taku"]),
    ("x@pref.saga.lg.jp", ["saga"]),
    ("x@town.esashi.hokkaido.jp", ["esashi"]),
    ("x@vill.x.lg.jp", ["x"]),
    ("x@village.x.lg.jp", ["x"]),
    ("x@ward.x.lg.jp", ["x"]),
    ("x@city.sapporo.jp", ["sapporo"]),
    ("X@City.Taku.LG.JP", ["taku"]),
    ("x@edu.city.taku.lg.jp", ["taku"]),  # a department's sub-domain in front
    ("x＠city.taku.lg.jp", ["taku"]),  # full-width at sign
    ("city.taku@gmail.com", []),  # only the part after "@" counts
    ("x@gmail.com", []),
    ("x@example.jp", []),
    ("x@toyota.co.jp", []),
    ("x@city.example.co.jp", []),
    ("x@city.lg.jp", []),
    ("x@city.taku.lg.com", []),
    ("x@u-tokyo.ac.jp", []),
    ("not an address", []),
    ("", []),
])
def test_domain_hint_labels(email, labels):
    assert domain_hint_labels(email) == labels


# --- Titles -------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, title", [
    ("prefecture", "知事"),
    ("city", "市長"),
    ("town", "町長"),
    ("village", "村長"),
    ("special_ward", "区長"),
    ("company", None),
])
def test_mayor_title(kind, title):
    assert mayor_title(kind) == title

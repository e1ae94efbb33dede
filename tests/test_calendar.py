from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from spbe_monitor.availability.calendar import (
    FULL_WEEK,
    WEEKDAYS,
    commitment,
    month_bounds,
    parse_operating_hours,
)
from spbe_monitor.availability.intervals import total

pytestmark = pytest.mark.date_sweep  # tests/timetravel.py


def test_weekday_service_commits_21_days_in_november_2026():
    # REGULATION.md §3 worked example: Mon–Fri 24h in November 2026 → 1 814 400 s
    assert total(commitment(WEEKDAYS, "Asia/Jakarta", 2026, 11)) == 1_814_400


def test_24x7_february_2026_commits_28_days():
    assert total(commitment(FULL_WEEK, "Asia/Jakarta", 2026, 2)) == 28 * 86400


def test_weekday_year_2026_holds_261_days_and_2024_holds_262():
    for year, days in ((2026, 261), (2024, 262)):
        got = sum(total(commitment(WEEKDAYS, "Asia/Jayapura", year, m)) for m in range(1, 13))
        assert got == days * 86400


def test_month_is_taken_in_the_service_zone():
    lo, hi = month_bounds(2026, 11, ZoneInfo("Asia/Makassar"))  # WITA = UTC+8
    assert datetime.fromtimestamp(lo, UTC) == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    assert datetime.fromtimestamp(hi, UTC) == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)


def test_office_hours_in_wit_land_on_the_right_utc_times():
    week = parse_operating_hours({"mon-fri": "07:30-16:00"})
    spans = commitment(week, "Asia/Jayapura", 2026, 11)  # WIT = UTC+9
    assert len(spans) == 21
    first = [datetime.fromtimestamp(x, UTC) for x in spans[0]]
    assert first == [datetime(2026, 11, 1, 22, 30, tzinfo=UTC),  # Mon 2 Nov 07:30 WIT
                     datetime(2026, 11, 2, 7, 0, tzinfo=UTC)]
    assert total(spans) == 21 * 8.5 * 3600


def test_overnight_range_spills_into_next_day_and_is_clipped_to_the_month():
    week = parse_operating_hours({"sat": "22:00-06:00", "overnight": True})
    # October 2026 starts on a Thursday, Saturday 31 Oct 22:00 runs past the month's end
    spans = commitment(week, "Asia/Jakarta", 2026, 10)
    assert total(spans) == 4 * 8 * 3600 + 2 * 3600
    # November 2026 starts on Sunday: Saturday 31 Oct's shift spills 6 h into it
    assert commitment(week, "Asia/Jakarta", 2026, 11)[0][1] - month_bounds(
        2026, 11, ZoneInfo("Asia/Jakarta"))[0] == 6 * 3600


def test_several_ranges_and_day_lists():
    week = parse_operating_hours({"mon,wed": "08:00-12:00, 13:00-16:00", "sat-sun": "00:00-24:00"})
    assert week[0] == ((480, 720), (780, 960)) and week[1] == () and week[6] == ((0, 1440),)


@pytest.mark.parametrize("bad, reason", [
    ("24x6", "expected 24x7"),
    ({"mon-frii": "07:00-16:00"}, "unknown day"),
    ({"fri-mon": "07:00-16:00"}, "backwards"),
    ({"mon": "7-16"}, "HH:MM-HH:MM"),
    ({"mon": "08:00-08:00"}, "empty"),
    ({"mon": "24:00-24:00"}, "out of range"),
    ({"mon": "25:00-26:00"}, "out of range"),
    ({"mon": "08:60-09:00"}, "out of range"),
    ({"mon-fri": "16:00-07:30"},
     'end before they start: for a shift across midnight write "16:00-24:00" and '
     '"00:00-07:30" on the next day, or add overnight: true'),
    ({"mon": "08:00-12:00", "overnight": "yes"}, "true or false"),
])
def test_bad_operating_hours_say_why(bad, reason):
    with pytest.raises(ValueError, match=reason):
        parse_operating_hours(bad)


def test_months_back_steps_over_year_ends():
    from spbe_monitor.monthly import months_back

    assert months_back(2026, 2, 4) == [(2025, 11), (2025, 12), (2026, 1), (2026, 2)]
    assert months_back(2026, 12, 13)[0] == (2025, 12) and len(months_back(2026, 12, 13)) == 13
    assert months_back(2026, 1, 1) == [(2026, 1)]

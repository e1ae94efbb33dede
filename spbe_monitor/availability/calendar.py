"""Operating-hours calendars: the agreed operating time (Komitmen) in the service's own zone.

A schedule is seven tuples (Monday first) of `(start_minute, end_minute)` ranges in local
time; an end past 1440 runs into the next day (overnight shifts). `24x7` and `24x5` are
shorthands for full days. A `Calendar` adds the days off (libur nasional, cuti bersama,
local holidays: nothing is committed on them) and special periods with their own week
(Ramadan office hours). Pure: the loader (`config/holidays.py`) resolves the dates.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from spbe_monitor.availability.intervals import Spans, clip, merge

DayRanges = tuple[tuple[int, int], ...]
Week = tuple[DayRanges, DayRanges, DayRanges, DayRanges, DayRanges, DayRanges, DayRanges]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL: DayRanges = ((0, 1440),)
FULL_WEEK: Week = (_FULL,) * 7
WEEKDAYS: Week = (_FULL,) * 5 + ((), ())
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class HoursError(ValueError):
    """A bad operating-hours entry, with the key it belongs to (so the error can point at
    that entry's line)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def parse_operating_hours(value: str | Mapping[str, str | bool]) -> Week:
    """`24x7`, `24x5`, or `{mon-fri: "07:30-16:00", sat: "08:00-12:00"}`.

    Ranges for one day may be comma-separated. A range that ends before it starts runs past
    midnight only when the mapping says `overnight: true`: otherwise a typo like
    `16:00-07:30` would silently commit the night. Raises ValueError with a reason.
    """
    if isinstance(value, str):
        shorthand = {"24x7": FULL_WEEK, "24x5": WEEKDAYS}.get(value.strip().lower())
        if shorthand is None:
            raise ValueError(f"expected 24x7, 24x5 or a mapping of days to hours, got {value!r}")
        return shorthand
    overnight = value.get("overnight", False)
    if not isinstance(overnight, bool):
        raise HoursError("overnight", "expected true or false")
    week: list[list[tuple[int, int]]] = [[] for _ in DAYS]
    for days, hours in value.items():
        if days == "overnight":
            continue
        try:
            for day in _parse_days(str(days)):
                week[day].extend(_parse_ranges(str(hours), overnight))
        except ValueError as exc:
            raise HoursError(str(days), str(exc)) from None
    for ranges in week:
        ranges.sort()
    if not any(week):
        raise ValueError("operating hours commit no time at all")
    return tuple(tuple(r) for r in week)  # type: ignore[return-value]


def _parse_days(spec: str) -> list[int]:
    out: list[int] = []
    for part in spec.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"unknown day {part!r}: use mon…sun, ranges like mon-fri, or lists")
        a, b = DAYS.index(first), DAYS.index(last or first)
        if b < a:
            raise ValueError(f"day range {part!r} runs backwards")
        out.extend(range(a, b + 1))
    return out


def _minute(hour: str, minute: str, text: str) -> int:
    h, m = int(hour), int(minute)
    if h > 24 or m > 59 or (h == 24 and m > 0):
        raise ValueError(f"hours {text!r} are out of range: use 00:00 to 24:00")
    return h * 60 + m


def _parse_ranges(spec: str, overnight: bool) -> list[tuple[int, int]]:
    out = []
    for part in spec.split(","):
        text = part.strip()
        m = _RANGE.match(part)
        if not m:
            raise ValueError(f"hours {text!r} are not HH:MM-HH:MM")
        start, end = _minute(m[1], m[2], text), _minute(m[3], m[4], text)
        if start == 1440:
            raise ValueError(f"hours {text!r} are out of range: a day starts before 24:00")
        if end == start:
            raise ValueError(f"hours {text!r} are empty")
        if end < start and not overnight:
            raise ValueError(
                f"hours {text!r} end before they start: for a shift across midnight write "
                f"\"{text.split('-')[0].strip()}-24:00\" and \"00:00-{text.split('-')[1].strip()}"
                "\" on the next day, or add overnight: true")
        out.append((start, end if end > start else end + 1440))
    return out


def local_epoch(day: date, minute: int, zone: ZoneInfo) -> int:
    """Epoch seconds of `minute` minutes after local midnight of `day` in `zone`."""
    moment = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(minutes=minute)
    return int(moment.timestamp())


def month_after(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def month_bounds(year: int, month: int, zone: ZoneInfo) -> tuple[int, int]:
    """The month `[first day 00:00, next month's first day 00:00)` in the zone, as epochs."""
    nxt = date(*month_after(year, month), 1)
    return local_epoch(date(year, month, 1), 0, zone), local_epoch(nxt, 0, zone)


@dataclass(frozen=True)
class Special:
    """A period with its own week, both days included (e.g. Ramadan office hours)."""

    first: date
    last: date
    week: Week


@dataclass(frozen=True)
class Calendar:
    """A service's week, its days off, and special periods (the first one matching wins).
    A range belongs to the day it starts on: a holiday removes the ranges starting on it."""

    week: Week
    off: frozenset[date] = frozenset()
    special: tuple[Special, ...] = ()

    def ranges(self, day: date) -> DayRanges:
        """The committed ranges starting on `day` (local minutes)."""
        if day in self.off:
            return ()
        for period in self.special:
            if period.first <= day <= period.last:
                return period.week[day.weekday()]
        return self.week[day.weekday()]

    def as_json(self) -> dict[str, Any]:
        """Kept with a filed report, so its month's figure stays reproducible."""
        return {"week": [[list(r) for r in day] for day in self.week],
                "off": sorted(d.isoformat() for d in self.off),
                "special": [{"first": p.first.isoformat(), "last": p.last.isoformat(),
                             "week": [[list(r) for r in day] for day in p.week]}
                            for p in self.special]}

    @staticmethod
    def from_json(data: dict[str, Any]) -> Calendar:
        def week(days: list[list[list[int]]]) -> Week:
            return tuple(tuple((a, b) for a, b in day) for day in days)  # type: ignore[return-value]

        return Calendar(week(data["week"]), frozenset(date.fromisoformat(d) for d in data["off"]),
                        tuple(Special(date.fromisoformat(p["first"]),
                                      date.fromisoformat(p["last"]), week(p["week"]))
                              for p in data["special"]))

    def for_month(self, year: int, month: int) -> Calendar:
        """Only what bears on this month (and its last day before): a small, cacheable key."""
        first = date(year, month, 1) - timedelta(days=1)
        last = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        return Calendar(self.week, frozenset(d for d in self.off if first <= d < last),
                        tuple(p for p in self.special if p.first < last and p.last >= first))


def days(first: date, last: date) -> Iterator[date]:
    """Every day from `first` up to (not including) `last`."""
    day = first
    while day < last:
        yield day
        day += timedelta(days=1)


def commitment(calendar: Calendar | Week, zone_name: str, year: int, month: int) -> Spans:
    """The operating time inside the month, as UTC spans (Komitmen Ketersediaan Layanan)."""
    if not isinstance(calendar, Calendar):
        calendar = Calendar(calendar)
    return _commitment(calendar.for_month(year, month), zone_name, year, month)


def forget() -> None:
    """Drop the cached commitments (a benchmark measures the cold path)."""
    _commitment.cache_clear()


@lru_cache(maxsize=4096)
def _commitment(calendar: Calendar, zone_name: str, year: int, month: int) -> Spans:
    zone = ZoneInfo(zone_name)
    lo, hi = month_bounds(year, month, zone)
    if calendar == Calendar(FULL_WEEK):
        return [(lo, hi)]
    first = date(year, month, 1) - timedelta(days=1)  # yesterday's overnight range spills in
    last = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    spans = [(local_epoch(day, start, zone), local_epoch(day, end, zone))
             for day in days(first, last) for start, end in calendar.ranges(day)]
    return clip(merge(spans), lo, hi)

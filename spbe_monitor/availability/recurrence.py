"""Maintenance windows, one-off or recurring (RFC 5545 RRULE), expanded into UTC spans.

The rule is read in the window's own zone, so "every Sunday 02:00 WITA" stays 02:00 local.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from spbe_monitor.availability.intervals import Interval


@lru_cache(maxsize=8192)
def _rule(text: str, dtstart: datetime) -> rrule:
    parsed = rrulestr(text, dtstart=dtstart, forceset=False)
    if not isinstance(parsed, rrule):  # pragma: no cover - forceset=False yields rrule
        raise ValueError("expected a single RRULE")
    return parsed


def validate_rrule(text: str) -> None:
    """Raise ValueError with the library's reason when `text` is not a usable RRULE."""
    if any(f"FREQ={f}" in text.upper().replace(" ", "") for f in ("SECONDLY", "MINUTELY")):
        raise ValueError("maintenance may recur at most hourly (FREQ=HOURLY or coarser)")
    _rule(text, datetime(2000, 1, 1, tzinfo=UTC))


@lru_cache(maxsize=16384)
def _starts(text: str, start: int, zone_name: str, horizon_year: int) -> list[int]:
    """Every occurrence start from the window's own start to the end of `horizon_year` (UTC).

    dateutil iterates from dtstart on every query; expanding once per rule and year and
    bisecting afterwards keeps a year of monthly figures linear (bench/availability.py).
    """
    zone = ZoneInfo(zone_name)
    rule = _rule(text, datetime.fromtimestamp(start, zone))
    horizon = datetime(horizon_year + 1, 1, 1, tzinfo=UTC)
    return [int(o.timestamp()) for o in rule.between(
        datetime.fromtimestamp(start, zone), horizon, inc=True)]


def occurrences(
    start: int, end: int, rrule_text: str | None, zone_name: str, lo: int, hi: int
) -> list[Interval]:
    """Occurrences of the window `[start, end)` that overlap `[lo, hi)`, unclipped."""
    if rrule_text is None:
        return [(start, end)] if start < hi and end > lo else []
    duration = end - start
    starts = _starts(rrule_text, start, zone_name, datetime.fromtimestamp(hi, UTC).year)
    first = bisect_right(starts, lo - duration)
    last = bisect_left(starts, hi)
    return [(s, s + duration) for s in starts[first:last]]

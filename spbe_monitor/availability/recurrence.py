"""Maintenance windows, one-off or recurring (RFC 5545 RRULE), expanded into UTC spans.

The rule is read in the window's own zone, so "every Sunday 02:00 WITA" stays 02:00 local.
"""

from __future__ import annotations

from datetime import datetime
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
    _rule(text, datetime(2000, 1, 1, tzinfo=ZoneInfo("UTC")))


def occurrences(
    start: int, end: int, rrule_text: str | None, zone_name: str, lo: int, hi: int
) -> list[Interval]:
    """Occurrences of the window `[start, end)` that overlap `[lo, hi)`, unclipped."""
    if rrule_text is None:
        return [(start, end)] if start < hi and end > lo else []
    zone = ZoneInfo(zone_name)
    duration = end - start
    dtstart = datetime.fromtimestamp(start, zone)
    rule = _rule(rrule_text, dtstart)
    after = datetime.fromtimestamp(lo - duration, zone)
    before = datetime.fromtimestamp(hi, zone)
    out = []
    for occ in rule.between(after, before, inc=False):
        s = int(occ.timestamp())
        if s + duration > lo and s < hi:
            out.append((s, s + duration))
    return out


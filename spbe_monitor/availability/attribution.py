"""Who contributed what to a month's figure (pure): each outage's share of the downtime and
each maintenance window's share of the excused time. The formula's totals are the sums of
these shares (`formula.attribute_month`), so a report's rows add up to its headline to the
second. Time two outages (or two windows) share goes to the earlier one; the later one
shows it as overlapped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from spbe_monitor.availability.intervals import (
    Interval,
    Spans,
    clip,
    intersect,
    merge,
    subtract,
    total,
)


@dataclass(frozen=True, slots=True)
class OutageShare:
    """One outage in one period: every second of it is in exactly one of: outside the
    period, outside operating hours, overlapped, excused or counted."""

    key: int  # the outage's ledger id
    in_period: int  # seconds of the outage (unobserved gaps cut) inside the period
    in_hours: int  # … of those, inside the committed operating hours
    overlapped: int  # … of those, already attributed to an earlier outage
    excused: int  # … of the rest, inside maintenance that excuses
    counted: int  # … the rest: this outage's part of the downtime

    @property
    def outside_hours(self) -> int:
        return self.in_period - self.in_hours


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One occurrence of a maintenance window, judged on its own."""

    start: int
    end: int
    late: str | None  # why it is not scheduled maintenance (formula.Late), None if it is
    excusing: bool  # scheduled in advance, or approved


@dataclass(frozen=True, slots=True)
class WindowShare:
    key: int  # the window's ledger id
    occurrences: tuple[Occurrence, ...]
    maintenance: int  # its excusing time inside operating hours, not an earlier window's
    excused: int  # the downtime it excused, not an earlier window's


def outage_shares(commitment: Spans, outages: Sequence[tuple[int, Sequence[Interval]]],
                  excusing: Spans, lo: int, hi: int) -> tuple[OutageShare, ...]:
    """Shares in order of start (then key); `excusing` is the merged excusing maintenance."""
    claimed: Spans = []
    out = []
    for key, spans in sorted(outages, key=lambda o: (min((s for s, _ in o[1]), default=0),
                                                      o[0])):
        inside = clip(merge(spans), lo, hi)
        hours = intersect(inside, commitment)
        fresh = subtract(hours, claimed)
        claimed = merge([*claimed, *hours])
        counted = subtract(fresh, excusing)
        out.append(OutageShare(key, total(inside), total(hours), total(hours) - total(fresh),
                               total(fresh) - total(counted), total(counted)))
    return tuple(out)


def window_shares(commitment: Spans, down: Spans,
                  windows: Sequence[tuple[int, Sequence[Occurrence]]], lo: int, hi: int
                  ) -> tuple[WindowShare, ...]:
    """Shares in order of first occurrence (then key); `down` is the merged outage time
    inside operating hours."""
    claimed: Spans = []
    out = []
    for key, occ in sorted(windows, key=lambda w: (min((o.start for o in w[1]), default=0),
                                                    w[0])):
        mine = intersect(clip(merge((o.start, o.end) for o in occ if o.excusing), lo, hi),
                         commitment)
        fresh = subtract(mine, claimed)
        claimed = merge([*claimed, *mine])
        out.append(WindowShare(key, tuple(occ), total(fresh), total(intersect(fresh, down))))
    return tuple(out)

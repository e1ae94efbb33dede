"""Who contributed what to a month's figure (pure): each outage's share of the downtime and
each maintenance window's share of the excused time. The formula's totals are the sums of
these shares (`formula.attribute_month`), so a report's rows add up to its headline to the
second. Time two outages share goes to the one whose span began first (two windows: the
earlier window); the other shows it as overlapped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from spbe_monitor.availability.intervals import (
    Interval,
    Measure,
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
    """Shares in order of first start (then key); `excusing` is the merged excusing
    maintenance. One sweep over the spans in time order: time already covered by an
    earlier-starting span is overlapped, the rest is this outage's (excused or counted)."""
    hours = Measure(commitment)
    excusable = intersect(commitment, excusing)
    excused_hours = Measure(excusable)
    parts = {key: [0, 0, 0, 0, 0] for key, _ in outages}
    pieces = sorted((max(a, lo), min(b, hi), key) for key, spans in outages for a, b in spans
                    if min(b, hi) > max(a, lo))
    covered = lo
    for a, b, key in pieces:  # (the shortcuts skip lookups whose answer is known)
        inside = hours.within(a, b)
        fresh_from = max(a, covered)
        fresh = inside if fresh_from == a else hours.within(fresh_from, b)
        excused = excused_hours.within(fresh_from, b) if excusable and fresh else 0
        covered = max(covered, b)
        row = parts[key]
        row[0] += b - a
        row[1] += inside
        row[2] += inside - fresh
        row[3] += excused
        row[4] += fresh - excused
    order = sorted(outages, key=lambda o: (min((s for s, _ in o[1]), default=0), o[0]))
    return tuple(OutageShare(key, *parts[key]) for key, _ in order)


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

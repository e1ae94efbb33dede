"""Half-open intervals `[start, end)` of UTC epoch seconds, as sorted disjoint lists.

Integers rather than datetimes: the monthly figure is exact to the second, and the
algebra runs in the hot loop of every report (see bench/availability.py).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable

Interval = tuple[int, int]
Spans = list[Interval]


def merge(intervals: Iterable[Interval]) -> Spans:
    """Sorted, disjoint, non-empty spans covering the union: overlaps never count twice."""
    out: Spans = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def intersect(a: Spans, b: Spans) -> Spans:
    """Intersection of two normalised span lists (linear merge)."""
    out: Spans = []
    i = j = 0
    while i < len(a) and j < len(b):
        start = max(a[i][0], b[j][0])
        end = min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(a: Spans, b: Spans) -> Spans:
    """`a` minus `b`, both normalised."""
    out: Spans = []
    j = 0
    for start, end in a:
        cur = start
        while j < len(b) and b[j][1] <= cur:
            j += 1
        k = j
        while k < len(b) and b[k][0] < end:
            if b[k][0] > cur:
                out.append((cur, b[k][0]))
            cur = max(cur, b[k][1])
            if cur >= end:
                break
            k += 1
        if cur < end:
            out.append((cur, end))
    return out


def clip(spans: Spans, start: int, end: int) -> Spans:
    return intersect(spans, [(start, end)]) if start < end else []


def total(spans: Spans) -> int:
    return sum(end - start for start, end in spans)


class Measure:
    """How much of a normalised span list lies inside any `[a, b)`, in O(log n): prefix
    sums over the spans, so attributing thousands of outages stays a single sweep."""

    def __init__(self, spans: Spans) -> None:
        self.starts = [start for start, _ in spans]
        self.ends = [end for _, end in spans]
        self.before = [0]
        for start, end in spans:
            self.before.append(self.before[-1] + end - start)

    def within(self, a: int, b: int) -> int:
        i = bisect_right(self.ends, a)  # the first span ending after a
        j = bisect_left(self.starts, b)  # spans [0, j) start before b
        if a >= b or i >= j:
            return 0
        return (self.before[j] - self.before[i] - max(0, a - self.starts[i])
                - max(0, self.ends[j - 1] - b))

"""The regulation's monthly figure (IV.A.3.a) with our decisions (REGULATION.md §3).

    Ketersediaan = (Komitmen − Downtime) / Komitmen × 100 %

Every quantity is a set of UTC seconds, so overlaps never count twice:
    C  committed operating time in the month
    O  outages (probed or entered by hand), merged
    M  maintenance that excuses: occurrences scheduled (enough notice, not too long, not
       begun during an outage of the service), or approved
    H  time the monitor observed
    downtime    = |O ∩ C − M|      excused = |O ∩ C ∩ M|    maintenance = |M ∩ C|
    unmonitored = |C − H − O|      (known downtime is known, whoever observed it)
With `unmonitored: exclude`, Komitmen becomes |C| − unmonitored; the default counts
unmonitored time as available, like a ledger kept by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from spbe_monitor.availability.intervals import Interval, Spans, intersect, merge, subtract, total
from spbe_monitor.availability.recurrence import occurrences


class Unmonitored(StrEnum):
    AVAILABLE = "available"
    EXCLUDE = "exclude"


@dataclass(frozen=True, slots=True)
class Notice:
    """When maintenance counts as scheduled (spbe.yaml `maintenance:`): registered at least
    `min_notice` seconds before an occurrence starts, lasting at most `max_duration`."""

    min_notice: int = 0
    max_duration: int | None = None


class Late(StrEnum):
    """Why an occurrence is not scheduled maintenance (it excuses nothing unless approved)."""

    NOTICE = "notice"  # registered with less notice than min_notice
    TOO_LONG = "too_long"  # longer than max_duration
    DURING_OUTAGE = "during_outage"  # registered while the outage it would excuse was on


@dataclass(frozen=True, slots=True)
class Window:
    """One maintenance window as it applies to one service."""

    start: int
    end: int
    rrule: str | None
    zone: str
    registered_at: int
    approved: bool
    cancelled: bool = False
    notice: Notice = Notice()

    def judge(self, start: int, end: int, outages: Sequence[Interval] = ()) -> Late | None:
        """Each occurrence on its own: enough notice, not too long, and not begun inside an
        outage that was already going on when the window was registered (`outages`: the
        service's merged outage spans). An outage that began after registration stays
        excusable: the regulation's worked example has one start before its window."""
        if self.notice.max_duration is not None and end - start > self.notice.max_duration:
            return Late.TOO_LONG
        if start - self.registered_at < max(self.notice.min_notice, 1):
            return Late.NOTICE
        if any(a < start < b and a <= self.registered_at for a, b in outages):
            return Late.DURING_OUTAGE
        return None

    def excusing(self, lo: int, hi: int, outages: Sequence[Interval] = ()) -> list[Interval]:
        """Occurrences in `[lo, hi)` that excuse downtime (scheduled in advance, or approved)."""
        if self.cancelled:
            return []
        occ = occurrences(self.start, self.end, self.rrule, self.zone, lo, hi)
        if self.approved:
            return occ
        return [o for o in occ if self.judge(o[0], o[1], outages) is None]


@dataclass(frozen=True, slots=True)
class Figures:
    commitment_seconds: int
    downtime_seconds: int
    excused_seconds: int
    maintenance_seconds: int
    unmonitored_seconds: int
    committed_operating_seconds: int

    @property
    def availability(self) -> Fraction | None:
        if self.commitment_seconds == 0:
            return None
        return Fraction(self.commitment_seconds - self.downtime_seconds, self.commitment_seconds)

    @property
    def availability_percent(self) -> float | None:
        a = self.availability
        return None if a is None else round(float(a * 100), 4)

    @property
    def coverage_percent(self) -> float | None:
        """Share of the operating time whose state is known (observed or reported down)."""
        c = self.committed_operating_seconds
        return None if c == 0 else round(100 * (c - self.unmonitored_seconds) / c, 4)

    def met(self, target_percent: float | None) -> bool | None:
        a = self.availability
        if a is None or target_percent is None:
            return None
        return a * 100 >= Fraction(str(target_percent))


def monthly(
    commitment: Spans,
    outages: Sequence[Interval],
    windows: Sequence[Window],
    observed: Sequence[Interval],
    lo: int,
    hi: int,
    unmonitored: Unmonitored = Unmonitored.AVAILABLE,
) -> Figures:
    """The month's figures for one service; `commitment` is already clipped to `[lo, hi)`."""
    every = merge(outages)
    down = intersect(every, commitment)
    maint = intersect(merge(o for w in windows for o in w.excusing(lo, hi, every)), commitment)
    counted = subtract(down, maint)
    known = merge([*observed, *down])
    unmon = total(subtract(commitment, known))
    committed = total(commitment)
    effective = committed - unmon if unmonitored is Unmonitored.EXCLUDE else committed
    return Figures(
        commitment_seconds=effective,
        downtime_seconds=total(counted),
        excused_seconds=total(down) - total(counted),
        maintenance_seconds=total(maint),
        unmonitored_seconds=unmon,
        committed_operating_seconds=committed,
    )

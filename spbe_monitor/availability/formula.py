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
Each outage's and window's share of downtime, excused and maintenance (`attribution.py`,
`attribute_month`) adds up to these totals to the second, so a report's rows reconcile.
With `unmonitored: exclude`, Komitmen becomes |C| − unmonitored; the default counts
unmonitored time as available, like a ledger kept by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from spbe_monitor.availability.attribution import (
    Occurrence,
    OutageShare,
    WindowShare,
    outage_shares,
    window_shares,
)
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
    key: int = 0  # the window's ledger id, for attribution

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

    def judged(self, lo: int, hi: int, outages: Sequence[Interval] = ()) -> list[Occurrence]:
        """Occurrences in `[lo, hi)`, each judged; a cancelled window excuses nothing."""
        out = []
        for start, end in occurrences(self.start, self.end, self.rrule, self.zone, lo, hi):
            late = self.judge(start, end, outages)
            out.append(Occurrence(start, end, late,
                                  not self.cancelled and (self.approved or late is None)))
        return out

    def excusing(self, lo: int, hi: int, outages: Sequence[Interval] = ()) -> list[Interval]:
        """Occurrences in `[lo, hi)` that excuse downtime (scheduled in advance, or approved)."""
        return [(o.start, o.end) for o in self.judged(lo, hi, outages) if o.excusing]


class Verdict(StrEnum):
    """What a month's figure says against its target (REGULATION.md §3: a figure from too
    little observation proves nothing, so it is not reported as met)."""

    MET = "tercapai"
    MISSED = "tidak_tercapai"
    UNASSESSABLE = "tidak_dapat_dinilai"  # coverage below the required minimum
    NOT_MONITORED = "belum_dipantau"  # nothing observed and nothing recorded
    NO_TARGET = "tanpa_target"


@dataclass(frozen=True, slots=True)
class Figures:
    commitment_seconds: int
    downtime_seconds: int
    excused_seconds: int
    maintenance_seconds: int
    unmonitored_seconds: int
    committed_operating_seconds: int

    @classmethod
    def summed(cls, parts: Sequence[Figures]) -> Figures:
        """Several months as one figure (a semester, the year to date): their seconds added."""
        return cls(*(sum(getattr(p, name) for p in parts) for name in cls.__slots__))

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

    @property
    def best_case(self) -> Fraction | None:
        """The availability had every unobserved second been available: what no missing
        observation could raise (with `unmonitored: available` it is the figure itself)."""
        c = self.committed_operating_seconds
        return None if c == 0 else Fraction(c - self.downtime_seconds, c)

    def verdict(self, target_percent: float | None, min_coverage: float) -> Verdict:
        """REGULATION.md §3: below the coverage gate a month is judged only where the
        verdict is certain — missed even counting every unobserved second as available."""
        coverage = self.coverage_percent
        if not coverage and not self.downtime_seconds and not self.excused_seconds:
            return Verdict.NOT_MONITORED
        if coverage is None or coverage < min_coverage:
            best = self.best_case
            certain_miss = target_percent is not None and best is not None and (
                best * 100 < Fraction(str(target_percent)))
            return Verdict.MISSED if certain_miss else Verdict.UNASSESSABLE
        met = self.met(target_percent)
        return Verdict.NO_TARGET if met is None else Verdict.MET if met else Verdict.MISSED

    def met(self, target_percent: float | None) -> bool | None:
        a = self.availability
        if a is None or target_percent is None:
            return None
        return a * 100 >= Fraction(str(target_percent))


@dataclass(frozen=True, slots=True)
class Shares:
    """Who contributed the month's figures: each outage and maintenance window."""

    outages: tuple[OutageShare, ...]
    windows: tuple[WindowShare, ...]


def attribute_month(
    commitment: Spans,
    outages: Sequence[tuple[int, Sequence[Interval]]],
    windows: Sequence[Window],
    lo: int,
    hi: int,
) -> Shares:
    """The month for one service, outage by outage and window by window (`outages` as
    ledger id and spans). The shares add up to `monthly()`'s downtime, excused and
    maintenance exactly (tested): the totals stay the bulk algebra below, which the
    exporter recomputes every few seconds; the shares are worked out when printed."""
    every = merge(s for _, spans in outages for s in spans)
    down = intersect(every, commitment)
    judged = [(w.key, w.judged(lo, hi, every)) for w in windows]
    maint = intersect(merge((o.start, o.end) for _, occ in judged for o in occ if o.excusing),
                      commitment)
    return Shares(outage_shares(commitment, outages, maint, lo, hi),
                  window_shares(commitment, down, judged, lo, hi))


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

from datetime import UTC, datetime
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spbe_monitor.availability.calendar import FULL_WEEK, commitment, parse_operating_hours
from spbe_monitor.availability.formula import (
    Figures,
    Late,
    Notice,
    Unmonitored,
    Verdict,
    Window,
    monthly,
)
from spbe_monitor.availability.intervals import clip, total

H = 3600


def ts(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp())


def test_regulation_worked_example_30_day_month():
    # 24x7, 30-day month, 4 h 30 m of outage of which 2 h inside registered maintenance
    lo, hi = ts(2026, 6, 1), ts(2026, 7, 1)
    outage = (ts(2026, 6, 10, 1), ts(2026, 6, 10, 5, 30))
    window = Window(ts(2026, 6, 10, 3), ts(2026, 6, 10, 5), None, "UTC",
                    registered_at=ts(2026, 6, 1), approved=False)
    f = monthly([(lo, hi)], [outage], [window], [(lo, hi)], lo, hi)
    assert f.commitment_seconds == 2_592_000
    assert f.downtime_seconds == 9_000
    assert f.excused_seconds == 2 * H
    assert f.maintenance_seconds == 2 * H
    assert f.availability_percent == 99.6528
    assert f.met(99.5) is True and f.met(99.7) is False


def test_late_window_excuses_nothing_until_approved():
    lo, hi = ts(2026, 6, 1), ts(2026, 7, 1)
    outage = (ts(2026, 6, 10, 1), ts(2026, 6, 10, 3))
    late = Window(ts(2026, 6, 10, 1), ts(2026, 6, 10, 3), None, "UTC",
                  registered_at=ts(2026, 6, 10, 2), approved=False)
    assert monthly([(lo, hi)], [outage], [late], [], lo, hi).downtime_seconds == 2 * H
    approved = Window(late.start, late.end, None, "UTC", late.registered_at, approved=True)
    assert monthly([(lo, hi)], [outage], [approved], [], lo, hi).downtime_seconds == 0
    cancelled = Window(late.start, late.end, None, "UTC", ts(2026, 5, 1), False, cancelled=True)
    assert monthly([(lo, hi)], [outage], [cancelled], [], lo, hi).downtime_seconds == 2 * H


def test_recurring_window_counts_only_occurrences_registered_in_advance():
    lo, hi = ts(2026, 6, 1), ts(2026, 7, 1)
    # every Sunday 01:00–03:00 UTC from 7 June, registered on Wednesday 17 June
    w = Window(ts(2026, 6, 7, 1), ts(2026, 6, 7, 3), "FREQ=WEEKLY;BYDAY=SU", "UTC",
               registered_at=ts(2026, 6, 17), approved=False)
    outages = [(ts(2026, 6, d, 1), ts(2026, 6, d, 3)) for d in (7, 14, 21, 28)]
    f = monthly([(lo, hi)], outages, [w], [], lo, hi)
    assert f.excused_seconds == 4 * H  # 21 and 28 June
    assert f.downtime_seconds == 4 * H  # 7 and 14 June


def test_part_of_outage_after_the_window_counts():
    lo, hi = ts(2026, 6, 1), ts(2026, 7, 1)
    w = Window(ts(2026, 6, 3, 0), ts(2026, 6, 3, 2), None, "UTC", ts(2026, 6, 1), False)
    f = monthly([(lo, hi)], [(ts(2026, 6, 3, 1), ts(2026, 6, 3, 4))], [w], [], lo, hi)
    assert (f.excused_seconds, f.downtime_seconds) == (H, 2 * H)


def test_unmonitored_is_counted_available_or_excluded():
    lo, hi = ts(2026, 6, 1), ts(2026, 7, 1)
    observed = [(lo, ts(2026, 6, 16))]  # monitor stopped half-way through the month
    outage = [(ts(2026, 6, 2), ts(2026, 6, 2, 10))]
    f = monthly([(lo, hi)], outage, [], observed, lo, hi)
    assert f.unmonitored_seconds == 15 * 86400
    assert f.commitment_seconds == 30 * 86400 and f.coverage_percent == 50.0
    g = monthly([(lo, hi)], outage, [], observed, lo, hi, Unmonitored.EXCLUDE)
    assert g.commitment_seconds == 15 * 86400
    assert g.availability_percent == round(100 * (15 * 86400 - 10 * H) / (15 * 86400), 4)


def test_known_downtime_is_not_unmonitored_and_nothing_committed_gives_none():
    lo, hi = ts(2026, 6, 1), ts(2026, 6, 2)
    f = monthly([(lo, hi)], [(lo, lo + H)], [], [], lo, hi)
    assert f.unmonitored_seconds == 23 * H
    empty = monthly([], [(lo, hi)], [], [], lo, hi)
    assert empty.availability_percent is None and empty.met(95) is None


spans = st.lists(st.tuples(st.integers(0, 31 * 86400), st.integers(60, 3 * 86400)), max_size=25)


@settings(max_examples=60, deadline=None)
@given(spans, spans, spans, st.sampled_from(["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]),
       st.booleans())
def test_properties(outages, windows, observed, zone, office):
    week = parse_operating_hours({"mon-fri": "07:30-16:00"}) if office else FULL_WEEK
    spans_ = commitment(week, zone, 2026, 10)
    base = ts(2026, 9, 30)
    lo, hi = min(s for s, _ in spans_) - 86400, max(e for _, e in spans_) + 86400
    outs = [(base + s, base + s + d) for s, d in outages]
    wins = [Window(base + s, base + s + d, None, zone, base, False) for s, d in windows]
    obs = [(base + s, base + s + d) for s, d in observed]
    f = monthly(spans_, outs, wins, obs, lo, hi)
    assert 0 <= f.downtime_seconds <= f.commitment_seconds == total(spans_)
    assert f.downtime_seconds + f.excused_seconds <= f.commitment_seconds
    assert f.excused_seconds <= f.maintenance_seconds
    # the days of the month sum to the month
    days = [monthly(clip(spans_, d, d + 86400), outs, wins, obs, d, d + 86400)
            for d in range(lo, hi, 86400)]
    for attr in ("commitment_seconds", "downtime_seconds", "excused_seconds",
                 "maintenance_seconds", "unmonitored_seconds"):
        assert sum(getattr(x, attr) for x in days) == getattr(f, attr)


H = 3600


@pytest.mark.parametrize("notice_hours, length_hours, late", [
    (1 / 3600, 2, Late.NOTICE),  # posted 1 s before it starts
    (23, 2, Late.NOTICE),
    (25, 2, None),
    (25, 11, None),
    (25, 13, Late.TOO_LONG),
])
def test_maintenance_counts_as_scheduled_only_by_rule(notice_hours, length_hours, late):
    rules = Notice(min_notice=24 * H, max_duration=12 * H)
    start = ts(2026, 6, 10, 1)
    w = Window(start, start + int(length_hours * H), None, "UTC",
               start - int(notice_hours * H), approved=False, notice=rules)
    assert w.judge(w.start, w.end) is late
    excused = w.excusing(ts(2026, 6, 1), ts(2026, 7, 1))
    assert excused == ([] if late else [(w.start, w.end)])
    # an approval by the Penyedia Layanan excuses it whatever the reason
    approved = Window(w.start, w.end, None, "UTC", w.registered_at, True, notice=rules)
    assert approved.excusing(ts(2026, 6, 1), ts(2026, 7, 1)) == [(w.start, w.end)]


def test_a_window_registered_during_the_outage_it_would_excuse_excuses_nothing():
    rules = Notice(min_notice=24 * H, max_duration=12 * H)
    start = ts(2026, 6, 10, 1)
    w = Window(start, start + 2 * H, None, "UTC", start - 48 * H, False, notice=rules)
    ongoing = [(start - 50 * H, start + 30 * 60)]  # down already when it was registered
    assert w.judge(w.start, w.end, ongoing) is Late.DURING_OUTAGE
    later = [(start - 60, start + 30 * 60)]  # went down after it was registered
    assert w.judge(w.start, w.end, later) is None
    commit = [(ts(2026, 6, 1), ts(2026, 7, 1))]
    figures = monthly(commit, ongoing, [w], commit, *commit[0])
    assert figures.downtime_seconds == 50 * H + 30 * 60 and figures.excused_seconds == 0
    figures = monthly(commit, later, [w], commit, *commit[0])
    assert figures.downtime_seconds == 60 and figures.excused_seconds == 30 * 60


def test_each_occurrence_of_a_recurring_window_is_judged_on_its_own():
    rules = Notice(min_notice=24 * H, max_duration=12 * H)
    first = ts(2026, 6, 7, 1)  # a Sunday; registered 2 h before the first occurrence
    w = Window(first, first + 2 * H, "FREQ=WEEKLY;BYDAY=SU", "UTC", first - 2 * H, False,
               notice=rules)
    got = w.excusing(ts(2026, 6, 1), ts(2026, 7, 1))
    assert [a for a, _ in got] == [first + d * 86400 for d in (7, 14, 21)]  # not the first
    outages = [(first + 30 * 60, first + 90 * 60), (first + 7 * 86400 + 60, first + 7 * 86400
                                                    + 61 * 60)]
    commit = [(ts(2026, 6, 1), ts(2026, 7, 1))]
    figures = monthly(commit, outages, [w], commit, *commit[0])
    assert figures.downtime_seconds == 60 * 60 and figures.excused_seconds == 60 * 60


MONTH = 30 * 86400


def figures(downtime: int, unmonitored: int, exclude: bool = False) -> Figures:
    """A 24x7 month with so much downtime and unobserved time (the formula's own modes:
    unobserved counted available, or taken out of Komitmen)."""
    return Figures(MONTH - unmonitored if exclude else MONTH, downtime, 0, 0, unmonitored,
                   MONTH)


def test_below_the_coverage_gate_only_a_certain_verdict_is_given():
    """Issue 31, item 7 (REGULATION.md §3): e-kinerja at 75.13 % with 24.87 % coverage
    against 97.50 % was "Tidak dapat dinilai" though even counting every unobserved second
    as available it missed: now "Tidak tercapai". A month that might have met it stays
    unjudged; below the gate nothing is ever "Tercapai"."""
    watched = MONTH * 2487 // 10000
    missed = figures(downtime=watched, unmonitored=MONTH - watched)  # down whenever seen
    assert missed.coverage_percent == 24.87 and missed.availability_percent == 75.13
    assert missed.verdict(97.5, 90) is Verdict.MISSED
    unsure = figures(downtime=3600, unmonitored=MONTH - watched)
    assert unsure.verdict(97.5, 90) is Verdict.UNASSESSABLE
    assert unsure.verdict(None, 90) is Verdict.UNASSESSABLE  # no target: nothing certain
    # `unmonitored: exclude`: the figure (80 %) is below 90 %, but the best case (95 %) is not
    excluded = figures(downtime=MONTH // 20, unmonitored=MONTH * 3 // 4, exclude=True)
    assert excluded.availability_percent == 80.0 and excluded.best_case == Fraction(95, 100)
    assert excluded.verdict(90, 90) is Verdict.UNASSESSABLE
    assert excluded.verdict(97.5, 90) is Verdict.MISSED
    # exactly at the target in the best case: not a certain miss
    edge = figures(downtime=MONTH // 40, unmonitored=MONTH // 2)
    assert edge.best_case == Fraction(975, 1000) and edge.verdict(97.5, 90) is (
        Verdict.UNASSESSABLE)


@given(down=st.integers(0, MONTH), blind=st.integers(0, MONTH), exclude=st.booleans(),
       target=st.sampled_from([None, 80.0, 95.0, 97.5, 99.9]),
       gate=st.sampled_from([0.0, 50.0, 90.0, 100.0]))
def test_a_verdict_below_the_gate_is_one_no_missing_observation_could_change(
        down, blind, exclude, target, gate):
    blind = min(blind, MONTH - down)  # downtime is observed time
    f = figures(down, blind, exclude)
    verdict = f.verdict(target, gate)
    coverage = f.coverage_percent or 0
    if verdict is Verdict.NOT_MONITORED:
        assert coverage == 0 and down == 0
    elif coverage < gate:
        assert verdict in (Verdict.MISSED, Verdict.UNASSESSABLE)
        best = Fraction(MONTH - down, MONTH)  # every unobserved second available
        assert (verdict is Verdict.MISSED) == (target is not None
                                                and best * 100 < Fraction(str(target)))

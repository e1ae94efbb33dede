"""A component's own down time and availability (Formulir F section A), against a
per-second count."""

import random
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from spbe_monitor.availability.components import component_availability, down_spans
from spbe_monitor.ledger.records import TransitionRow
from spbe_monitor.ledger.store import Store

STATES = st.sampled_from(["up", "down", "degraded", "unknown"])


def test_down_time_from_state_changes():
    changes = [(0, "up"), (100, "down"), (200, "up"), (300, "down")]
    assert down_spans(changes, 150, 400) == [(150, 200), (300, 400)]
    assert down_spans([(50, "down")], 100, 200) == [(100, 200)]  # down since before
    assert down_spans([(50, "down"), (60, "up")], 100, 200) == []
    assert down_spans([(250, "down")], 100, 200) == []  # after the period


def test_availability_is_over_the_observed_operating_time():
    assert component_availability([(100, 200)], [(0, 1000)], [(0, 500)]) == Fraction(4, 5)
    assert component_availability([(100, 200)], [(0, 1000)], []) is None
    # down time nobody observed is not counted against the component
    assert component_availability([(600, 700)], [(0, 1000)], [(0, 500)]) == 1


@given(st.lists(st.tuples(st.integers(0, 120), STATES), max_size=12),
       st.integers(0, 60), st.integers(0, 60))
def test_down_spans_agree_with_a_per_second_count(changes, lo, length):
    changes = sorted(changes, key=lambda c: c[0])
    hi = lo + length
    got = {t for a, b in down_spans(changes, lo, hi) for t in range(a, b)}
    want = set()
    for t in range(lo, hi):
        before = [s for at, s in changes if at <= t]
        if before and before[-1] == "down":
            want.add(t)
    assert got == want


SPANS = st.lists(st.tuples(st.integers(0, 500), st.integers(1, 120)).map(
    lambda p: (p[0], p[0] + p[1])), max_size=8)


@given(SPANS, st.lists(SPANS, max_size=6), SPANS, st.booleans())
def test_shares_add_up_to_the_formulas_totals(hours, outages, windows, approved):
    """Whatever overlaps: every outage's counted and excused seconds and every window's
    maintenance and excused seconds sum to `monthly()`'s figures, to the second."""
    from spbe_monitor.availability.formula import Window, attribute_month, monthly
    from spbe_monitor.availability.intervals import merge

    commitment = merge(hours)
    keyed = [(i, merge(spans)) for i, spans in enumerate(outages)]
    wins = [Window(a, b, None, "UTC", a - (0 if i % 2 else 100), approved, key=i)
            for i, (a, b) in enumerate(windows)]
    figures = monthly(commitment, [s for _, p in keyed for s in p], wins, [], 0, 700)
    shares = attribute_month(commitment, keyed, wins, 0, 700)
    assert sum(s.counted for s in shares.outages) == figures.downtime_seconds
    assert sum(s.excused for s in shares.outages) == figures.excused_seconds
    assert sum(w.excused for w in shares.windows) == figures.excused_seconds
    assert sum(w.maintenance for w in shares.windows) == figures.maintenance_seconds
    for s in shares.outages:
        assert s.in_period >= s.in_hours == s.overlapped + s.excused + s.counted


def test_a_month_reads_only_its_own_changes_and_the_state_before_it(store: Store):
    """Years of state changes in a real ledger (SQLite and PostgreSQL): the month's down time
    from the bounded read equals the one from the whole history, ties at one instant
    included; a service sharing the component's id does not leak in."""
    rng = random.Random(49)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows, at = [], start
    for _ in range(600):
        at += timedelta(hours=rng.randint(0, 72), seconds=rng.randint(0, 59))
        for subject in ("web-1", "db-1"):
            rows.append(TransitionRow("component", subject, at, "up", rng.choice(
                ["up", "down", "degraded", "unknown"]), "seeded"))
        rows.append(TransitionRow("service", "web-1", at, "up", "down", "same id, a service"))
    tie = datetime(2025, 3, 31, 23, 0, tzinfo=UTC)  # two changes in one second: the last holds
    rows += [TransitionRow("component", "web-1", tie, "up", "down", "flap"),
             TransitionRow("component", "web-1", tie, "down", "up", "flap")]
    store.record_transitions(rows)
    everything: dict[str, list[tuple[int, str]]] = {}
    for r in store.transitions():
        if r["subject_type"] == "component":
            everything.setdefault(r["subject_id"], []).append((int(r["at"].timestamp()),
                                                                r["new"]))
    for month in range(1, 13):
        lo = datetime(2025, month, 1, tzinfo=UTC)
        hi = lo + timedelta(days=30)
        bounded = store.state_changes(["web-1", "db-1"], lo, hi)
        for pid in ("web-1", "db-1"):
            whole = sorted(everything[pid], key=lambda c: c[0])  # stable: ties keep id order
            span = (int(lo.timestamp()), int(hi.timestamp()))
            assert down_spans(bounded[pid], *span) == down_spans(whole, *span)
            assert len(bounded[pid]) <= 1 + sum(span[0] <= a < span[1] for a, _ in whole)

"""A component's own down time and availability (Formulir F section A), against a
per-second count."""

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from spbe_monitor.availability.components import component_availability, down_spans

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

"""The nearest-rank 95th percentile Formulir F prints (stats/percentile.py): always a value
that was measured, with at least 95 % of the values at or below it and fewer below it."""

from hypothesis import given
from hypothesis import strategies as st

from spbe_monitor.stats.percentile import p95


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=300))
def test_p95_is_the_nearest_rank(values: list[float]):
    got = p95(values)
    assert got in values
    assert sum(v <= got for v in values) >= 0.95 * len(values)
    assert sum(v < got for v in values) < 0.95 * len(values)


def test_p95_of_the_worked_cases():
    assert p95([5.0]) == 5.0
    assert p95([float(i) for i in range(1, 101)]) == 95.0
    assert p95([float(i) for i in range(1, 21)]) == 19.0

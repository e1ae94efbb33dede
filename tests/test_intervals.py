import itertools

from hypothesis import given
from hypothesis import strategies as st

from spbe_monitor.availability.intervals import clip, intersect, merge, subtract, total

raw = st.lists(st.tuples(st.integers(0, 200), st.integers(0, 200)), max_size=12)


def as_set(spans: list[tuple[int, int]]) -> set[int]:
    return {t for s, e in spans for t in range(s, e)}


def test_merge_joins_overlapping_and_touching_and_drops_empty():
    assert merge([(5, 10), (0, 3), (3, 4), (8, 12), (20, 20), (30, 25)]) == [(0, 4), (5, 12)]


def test_subtract_cuts_holes():
    assert subtract([(0, 10), (20, 30)], [(2, 4), (8, 22), (29, 40)]) == [(0, 2), (4, 8), (22, 29)]


@given(raw, raw)
def test_algebra_matches_sets(a, b):
    ma, mb = merge(a), merge(b)
    assert as_set(ma) == as_set([i for i in a if i[0] < i[1]])
    assert all(s < e for s, e in ma) and all(x[1] < y[0] for x, y in itertools.pairwise(ma))
    assert as_set(intersect(ma, mb)) == as_set(ma) & as_set(mb)
    assert as_set(subtract(ma, mb)) == as_set(ma) - as_set(mb)
    assert total(ma) == len(as_set(ma))
    assert total(merge(a + a)) == total(ma)  # overlaps never count twice


@given(raw, st.integers(0, 200), st.integers(0, 200))
def test_clip(a, lo, hi):
    assert as_set(clip(merge(a), lo, hi)) == as_set(merge(a)) & set(range(lo, hi))

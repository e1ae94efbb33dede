"""Ringkasan's past months are computed once per state of the evidence (pure cache over a
real ledger): kept while the audit head stays, recomputed once it moved, never shared
between configurations."""

from __future__ import annotations

from spbe_monitor.konsol.past_months import PastMonths
from spbe_monitor.ledger.store import Store
from tests.conftest import FakeClock


def test_past_months_are_kept_until_the_evidence_moves(store: Store, clock: FakeClock):
    past = PastMonths(keep=2)
    made: list[str] = []

    def compute(what: str) -> str:
        made.append(what)
        return what

    config = object()
    assert past.get(store.engine, config, "a", lambda: compute("a1")) == "a1"
    assert past.get(store.engine, config, "a", lambda: compute("a2")) == "a1"  # kept
    store.record_act(clock.now(), "199002102015032005", "test.act", "x")  # the head moved
    assert past.get(store.engine, config, "a", lambda: compute("a3")) == "a3"
    other = object()  # a reloaded configuration
    assert past.get(store.engine, other, "a", lambda: compute("a4")) == "a4"
    past.get(store.engine, config, "b", lambda: compute("b1"))  # only two are kept
    assert past.get(store.engine, config, "a", lambda: compute("a5")) == "a5"
    assert made == ["a1", "a3", "a4", "b1", "a5"]

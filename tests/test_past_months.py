"""Ringkasan's past months are computed once per state of their evidence (a cache over a
real ledger): kept while only this month's evidence and acts move, recomputed when a seal
reaches a past month (a late downtime, a window, a deleted row), never shared between
configurations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete

from spbe_monitor.konsol.past_months import PastMonths
from spbe_monitor.ledger.evidence import seal_deletion
from spbe_monitor.ledger.store import Store
from spbe_monitor.ledger.tables import outages
from tests.conftest import FakeClock

NIP = "199002102015032005"
MONTH = datetime(2026, 10, 31, 17, tzinfo=UTC)  # 1 November 00.00 WIB


def test_past_months_are_kept_until_a_past_month_evidence_moves(store: Store,
                                                                clock: FakeClock):
    past = PastMonths(keep=2)
    made: list[str] = []
    config = object()

    def get(key: str, value: str) -> str:
        def compute() -> str:
            made.append(value)
            return value
        return past.get(store.engine, config, key, MONTH, compute)

    assert get("a", "a1") == "a1"
    assert get("a", "a2") == "a1"  # nothing moved
    store.record_act(clock.now(), NIP, "test.act", "x")  # an act with no evidence
    start = MONTH + timedelta(days=3)
    this_month = store.open_outage("perizinan-online", start, "mayor", "P1",
                                   (start, start + timedelta(hours=4)), "", start)
    assert this_month is not None
    store.close_outage("perizinan-online", MONTH + timedelta(days=3, hours=1))
    assert get("a", "a3") == "a1"  # this month's churn leaves past months alone
    late = MONTH - timedelta(days=20)
    store.add_manual_outage("perizinan-online", late, late + timedelta(hours=2), "mayor", "P1",
                            "dilaporkan", NIP, clock.now())
    assert get("a", "a4") == "a4"  # a downtime of October entered late
    store.add_maintenance(["perizinan-online"], MONTH + timedelta(days=9),
                          MONTH + timedelta(days=9, hours=1), None, "Asia/Jakarta", "patch",
                          NIP, clock.now())
    assert get("a", "a5") == "a5"  # a window: its occurrences may reach back; recomputed
    with store.engine.begin() as conn:  # retention's kind of change: a row gone
        seal_deletion(conn, outages, outages.c.id == this_month, clock.now())
        conn.execute(delete(outages).where(outages.c.id == this_month))
    assert get("a", "a6") == "a6"
    other = object()  # a reloaded configuration
    assert past.get(store.engine, other, "a", MONTH, lambda: "a7") == "a7"
    get("b", "b1")  # only two are kept
    assert get("a", "a8") == "a8"
    assert made == ["a1", "a4", "a5", "a6", "b1", "a8"]

"""Fencing on a real PostgreSQL: once a member has been reaped, nothing it writes for the
units it held lands, and the reaper leaves the ledger truthful about the dead member's
services (outage closed at its last heartbeat, state unknown from there)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from spbe_monitor.cluster.fence import Fence
from spbe_monitor.ledger import db
from spbe_monitor.ledger.durable import DurableWriter
from spbe_monitor.ledger.membership import Membership, claims
from spbe_monitor.ledger.records import TransitionRow
from spbe_monitor.ledger.spool import Spool
from spbe_monitor.ledger.store import Store
from spbe_monitor.ledger.writes import CloseOutage, OpenOutage, ReleaseUnits, Transitions
from tests.pg import create_database, drop_database, free_port

pytestmark = pytest.mark.postgres
LEASE = timedelta(seconds=1)
T0 = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)


@pytest.fixture
def store(postgres_server: str) -> Iterator[Store]:
    name = f"fence_{free_port()}"
    url = create_database(postgres_server, name)
    engine = db.make_engine(url)
    db.upgrade(engine)
    yield Store(engine)
    engine.dispose()
    drop_database(postgres_server, name)


def subjects(unit: str) -> tuple[frozenset[str], frozenset[str]]:
    return frozenset({unit}), frozenset({f"{unit}-http"})


def down(sid: str, at: datetime) -> OpenOutage:
    return OpenOutage(sid, at, "mayor", "P2", at, at, "connection refused", at)


def writer_of(store: Store, member: Membership, tmp: Path) -> DurableWriter:
    writer = DurableWriter(store.engine, Spool(tmp / f"{member.member}.spool"),
                           lambda: datetime.now(UTC))
    fence = Fence(member.member, {"web": "web", "mail": "mail"},
                  {"web-http": "web", "mail-http": "mail"}, 500)
    fence.epoch = member.epoch
    writer.fence = fence
    return writer


def test_a_reaped_member_writes_nothing_for_the_units_it_lost(store: Store, tmp_path: Path):
    a = Membership(store.engine, "a", LEASE, "http://127.0.0.1:1", "x")
    b = Membership(store.engine, "b", LEASE, "http://127.0.0.1:2", "x")
    session_a = store.open_session("a", T0)
    a.join(session_a, subjects)
    assert a.claim(["web", "mail"]) == {"web", "mail"}
    writes_a = writer_of(store, a, tmp_path)
    writes_a._apply_direct([down("web", T0), Transitions((
        TransitionRow("component", "web-http", T0, "up", "down", "refused"),
        TransitionRow("service", "web", T0, "up", "down", "refused")))])
    store.beat(session_a, T0 + timedelta(seconds=30))
    b.join(store.open_session("b", T0), subjects)
    assert b.claim(["web"]) == set()  # held by a, alive
    assert b.reap(subjects) == []
    time.sleep(LEASE.total_seconds() + 0.2)  # a stops renewing: frozen
    assert b.renew()
    (reaped,) = b.reap(subjects)
    assert (reaped.member, sorted(reaped.units)) == ("a", ["mail", "web"])
    (web,) = store.outages(["web"])
    assert web.end_at == T0 + timedelta(seconds=30) and web.closed_unobserved
    assert b.claim(["web", "mail"]) == {"web", "mail"}

    # a wakes up: its writes for web are fenced, its renewal fails
    writes_a._apply_direct([CloseOutage("web", T0 + timedelta(minutes=5)),
                            down("mail", T0 + timedelta(minutes=5)),
                            Transitions((TransitionRow("service", "web", T0 + timedelta(
                                minutes=5), "down", "up", "ok"),))])
    assert [o.service_id for o in store.outages()] == ["web"]
    assert store.outages(["web"])[0].end_at == T0 + timedelta(seconds=30)
    assert [(t["subject_id"], t["old"], t["new"]) for t in store.transitions()] == [
        ("web-http", "up", "down"), ("web", "up", "down"),
        ("web", "down", "unknown"), ("web-http", "down", "unknown")]
    assert isinstance(writes_a.fence, Fence) and writes_a.fence.dropped_total == 3
    assert not a.renew()

    # b's writes land; a release lets a unit go, and only its holder can release it
    writes_b = writer_of(store, b, tmp_path)
    writes_b._apply_direct([down("mail", T0 + timedelta(minutes=6))])
    assert [o.service_id for o in store.outages(["mail"])] == ["mail"]
    writes_a._apply_direct([ReleaseUnits("a", 1, ("mail",))])
    assert claims(store.engine) == {"mail": ("b", 1), "web": ("b", 1)}
    writes_b._apply_direct([ReleaseUnits("b", 1, ("mail",))])
    assert claims(store.engine) == {"web": ("b", 1)}


def test_a_member_name_in_use_is_refused_and_a_crashed_one_here_is_replaced(store: Store):
    a = Membership(store.engine, "same", LEASE * 30, "http://127.0.0.1:1", "x")
    a.join(store.open_session("a", T0), subjects)
    from spbe_monitor.errors import Refused

    twin = Membership(store.engine, "same", LEASE * 30, "http://127.0.0.1:2", "x")
    with pytest.raises(Refused, match="cluster member 'same' is already live"):
        twin.join(store.open_session("twin", T0), subjects)
    # the holder's process gone from this host: taken over at once, with a new epoch
    from sqlalchemy import update

    from spbe_monitor.ledger.tables import cluster_members

    with store.engine.begin() as conn:
        conn.execute(update(cluster_members).values(pid=2 ** 22 + 1))
    assert twin.join(store.open_session("twin", T0), subjects) == 2
    assert not a.renew()

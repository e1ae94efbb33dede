"""The durable writer against a real SQLite ledger made unwritable, a real full disk, and a
replay killed with SIGKILL: refused writes are kept in order and land exactly once."""

from __future__ import annotations

import asyncio
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from spbe_monitor.ledger import db
from spbe_monitor.ledger.durable import DurableWriter
from spbe_monitor.ledger.records import TransitionRow
from spbe_monitor.ledger.spool import Spool
from spbe_monitor.ledger.store import Store
from spbe_monitor.ledger.tables import transitions
from spbe_monitor.ledger.writes import Beat, CloseOutage, OpenOutage, Transitions, dump
from tests.conftest import FakeClock
from tests.faults import immutable, small_disk


def opened(service: str, at: datetime) -> OpenOutage:
    return OpenOutage(service, at, "mayor", "P1", at + timedelta(minutes=15),
                      at + timedelta(hours=12), "refused", at)


def transition(n: int, at: datetime) -> Transitions:
    return Transitions((TransitionRow("component", "p", at, "up", "down", f"t{n}"),))


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Store:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    db.upgrade(engine)
    return Store(engine)


async def until(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def test_refused_writes_wait_in_the_spool_and_land_once_in_order(
        sqlite_store: Store, tmp_path: Path, clock: FakeClock):
    store = sqlite_store
    writer = DurableWriter(store.engine, Spool(tmp_path / "spool" / "ledger.spool"), clock.now)
    task = asyncio.create_task(writer.run())
    t0 = clock.now()
    session = store.open_session("test", t0)
    writer.submit(opened("a", t0))
    await until(lambda: len(store.outages()) == 1, "the first outage written")
    with immutable(tmp_path / "ledger.db"):
        writer.submit(CloseOutage("a", t0 + timedelta(seconds=30)))
        writer.submit(opened("b", t0 + timedelta(seconds=40)))
        for n in range(5):
            writer.submit(transition(n, t0 + timedelta(seconds=n)))
        writer.submit(Beat(session, t0 + timedelta(seconds=50)))
        # the promise: on disk, fsync'd, outside the database (not merely on their way)
        await until(lambda: writer.spool.count == 8, "eight writes spooled")
        health = writer.health()
        assert health.pending == 8
        assert health.failures_total >= 1 and health.since is not None
        assert health.reason == "database refused writes: disk I/O error"
        writer.submit(CloseOutage("b", t0 + timedelta(seconds=60)))  # queued behind them
        await until(lambda: writer.health().pending == 9, "the later write queued after")
    await until(lambda: writer.health().pending == 0, "the spool replayed")
    writer.close()
    await task
    a, b = store.outages()
    assert (a.service_id, a.end_at) == ("a", t0 + timedelta(seconds=30))
    assert (b.service_id, b.end_at) == ("b", t0 + timedelta(seconds=60))
    assert [t["message"] for t in store.transitions()] == [f"t{n}" for n in range(5)]
    assert store.sessions()[0]["last_seen_at"] == t0 + timedelta(seconds=50)
    assert writer.spool.count == 0 and writer.spool.path.stat().st_size == 0
    assert writer.health().reason is None


async def test_a_write_rejected_for_what_it_is_is_set_aside_and_the_rest_land(
        sqlite_store: Store, tmp_path: Path, clock: FakeClock):
    writer = DurableWriter(sqlite_store.engine, Spool(tmp_path / "ledger.spool"), clock.now)
    task = asyncio.create_task(writer.run())
    naive = datetime(2026, 11, 1, 8, 0)  # the ledger refuses times without a zone
    writer.submit(transition(1, clock.now()))
    writer.submit(opened("bad", naive))
    writer.submit(transition(2, clock.now()))
    writer.close()
    await task
    assert [t["message"] for t in sqlite_store.transitions()] == ["t1", "t2"]
    assert sqlite_store.outages() == []
    rejected = (tmp_path / "ledger.rejected").read_text()
    assert '"service_id":"bad"' in rejected
    assert writer.health().pending == 0


async def test_a_full_spool_disk_holds_writes_in_memory_and_complains_once(
        sqlite_store: Store, tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.ERROR, "spbe.ledger")
    with small_disk(tmp_path / "spool") as folder:
        filler = folder / "filler"
        with open(filler, "wb") as f, pytest.raises(OSError):
            f.write(b"x" * 128 * 1024)  # fills the 64 kB disk
        writer = DurableWriter(sqlite_store.engine, Spool(folder / "ledger.spool"), clock.now)
        task = asyncio.create_task(writer.run())
        with immutable(tmp_path / "ledger.db"):
            for n in range(40):
                writer.submit(transition(n, clock.now()))
                await asyncio.sleep(0.05)  # forty attempts, spread out
            await until(lambda: writer.health().pending == 40, "forty writes held")
            assert writer.spool.count == 0  # nothing could be spooled
            reason = writer.health().reason or ""  # /-/ready and the alert say so
            assert "the spool cannot be written either" in reason and "held in memory" in reason
            filler.unlink()
        await until(lambda: writer.health().pending == 0, "held writes written")
        writer.close()
        await task
    assert [t["message"] for t in sqlite_store.transitions()] == [f"t{n}" for n in range(40)]
    spool_complaints = [r for r in caplog.records if "cannot write the spool" in r.message]
    db_complaints = [r for r in caplog.records if "database refused" in r.message]
    assert len(spool_complaints) == 1 and len(db_complaints) == 1  # once a minute, no flood


def test_a_torn_last_line_is_skipped_and_the_rest_replayed(sqlite_store: Store,
                                                           tmp_path: Path, clock: FakeClock):
    spool = Spool(tmp_path / "ledger.spool")
    spool.append([(f"k{n}", dump(transition(n, clock.now()))) for n in range(3)])
    with open(spool.path, "ab") as f:
        f.write(b"k3\t{\"rows\": [")  # a crash in the middle of an append
    writer = DurableWriter(sqlite_store.engine, Spool(spool.path), clock.now)
    assert writer.health().pending == 3
    assert writer.replay()
    assert [t["message"] for t in sqlite_store.transitions()] == ["t0", "t1", "t2"]


REPLAY = """
import sys
from datetime import UTC, datetime
from spbe_monitor.ledger import db
from spbe_monitor.ledger.durable import DurableWriter
from spbe_monitor.ledger.spool import Spool
engine = db.make_engine(sys.argv[1])
DurableWriter(engine, Spool(__import__("pathlib").Path(sys.argv[2])),
              lambda: datetime.now(UTC)).replay()
"""


@pytest.mark.slow
def test_replay_killed_midway_applies_each_write_exactly_once(database_url: str,
                                                              tmp_path: Path, clock: FakeClock):
    """SIGKILL inside a replay of 100,000 writes (it runs for seconds), then replay again:
    every write in the ledger once — keys committed with the writes, the spool cleared
    only after."""
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    store = Store(engine)
    spool = Spool(tmp_path / "ledger.spool")
    count = 100_000
    spool.append([(f"k{n}", dump(transition(n, clock.now()))) for n in range(count)])
    proc = subprocess.Popen([sys.executable, "-c", REPLAY, database_url, str(spool.path)])

    def applied() -> int:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(transitions)).scalar_one())

    deadline = time.monotonic() + 120
    while applied() == 0:  # the first batch committed, most still to come
        assert proc.poll() is None and time.monotonic() < deadline, "replay ended too soon"
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = applied()
    assert 0 < partial < count
    assert DurableWriter(engine, Spool(spool.path), clock.now).replay()
    messages = [t["message"] for t in store.transitions()]
    assert len(messages) == count and len(set(messages)) == count
    engine.dispose()

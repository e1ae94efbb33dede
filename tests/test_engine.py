"""Monitor → ledger with an injected clock: outages dated from the first failed check,
priorities and deadlines from the regulation, minor outages for degraded services."""

import asyncio
from datetime import timedelta

import pytest

from spbe_monitor.config.loader import load_config
from spbe_monitor.ledger.durable import DurableWriter
from spbe_monitor.ledger.spool import Spool
from spbe_monitor.ledger.store import Store
from spbe_monitor.monitor.engine import Monitor
from spbe_monitor.probers.base import ErrorKind, ProbeResult
from tests.conftest import FakeClock

OK = ProbeResult(True, 0.01, message="ok")
FAIL = ProbeResult(False, 0.01, ErrorKind.REFUSED, "refused")


async def drive(monitor: Monitor, recorder: DurableWriter, clock: FakeClock,
                plan: dict[str, str]) -> None:
    """Feed each probe its sequence ('+' pass, '-' fail), one check every 10 s."""
    writer = asyncio.create_task(recorder.run())
    steps = max(len(s) for s in plan.values())
    for i in range(steps):
        for pid, seq in plan.items():
            if i < len(seq):
                cfg = monitor.config.probes[pid]
                monitor.on_result(cfg, OK if seq[i] == "+" else FAIL, clock.now())
        clock.advance(10)
    monitor.flush()
    recorder.close()
    await writer


@pytest.fixture
def monitor(config_dir, store: Store, clock: FakeClock, tmp_path
            ) -> tuple[Monitor, DurableWriter]:
    config = load_config(config_dir / "spbe.yaml")
    writer = DurableWriter(store.engine, Spool(tmp_path / "ledger.spool"), clock.now)
    return Monitor(config, writer.submit, clock), writer


async def test_service_outage_is_dated_from_the_first_failed_check(monitor, store, clock):
    mon, rec = monitor
    t0 = clock.now()
    # perizinan-online requires all of: spbe-self-http, spbe-self-tcp, ledger-disk
    await drive(mon, rec, clock, {"spbe-self-http": "++----++", "spbe-self-tcp": "++++++++",
                                  "ledger-disk": "++++++++", "loopback-icmp": "++++++++"})
    [o] = store.outages(["perizinan-online"])
    assert o.start_at == t0 + timedelta(seconds=20)
    assert o.end_at == t0 + timedelta(seconds=60)
    assert (o.impact, o.priority, o.source) == ("mayor", "P1", "probe")  # publik, Kritis
    assert o.resolve_by == o.start_at + timedelta(hours=12)
    assert o.respond_by == o.start_at + timedelta(minutes=15)
    # persuratan-online needs any one of spbe-self-http, loopback-icmp: degraded, not down
    [minor] = store.outages(["persuratan-online"])
    assert (minor.impact, minor.priority) == ("minor", "P5")  # adm. pemerintahan, Esensial
    kinds = {(t["subject_id"], t["new"]) for t in store.transitions()}
    assert ("spbe-self-http", "down") in kinds and ("perizinan-online", "down") in kinds


async def test_crash_leaves_outage_closed_at_last_observation_and_flagged(monitor, store,
                                                                           clock):
    mon, rec = monitor
    session = store.open_session("test", clock.now())
    await drive(mon, rec, clock, {"spbe-self-http": "+----", "spbe-self-tcp": "+++++",
                                  "ledger-disk": "+++++"})
    store.beat(session, clock.now())
    last_seen = clock.now()
    [o] = store.outages(["perizinan-online"])
    assert o.end_at is None
    clock.advance(300)  # the daemon is gone; a new one starts
    assert store.close_unobserved() == [o.id]
    [o] = store.outages(["perizinan-online"])
    assert o.end_at == last_seen and o.closed_unobserved
    assert store.close_unobserved() == []  # idempotent: nothing closed twice


async def test_utilisation_is_rolled_up_per_hour(monitor, store, clock):
    mon, rec = monitor
    cfg = mon.config.probes["ledger-disk"]
    clock.current = clock.current.replace(minute=59, second=0)
    writer = asyncio.create_task(rec.run())
    for v in (10.0, 30.0, 20.0, 50.0):  # 3 in one hour, the last in the next
        mon.on_result(cfg, ProbeResult(True, 0.01, values={"disk_used_percent": v}),
                      clock.now())
        clock.advance(20)
    mon.flush()
    rec.close()
    await writer
    rows = store.utilisation("ledger-disk")
    assert [(r.samples, r.avg, r.max, r.p95) for r in rows] == [(3, 20.0, 30.0, 30.0),
                                                                (1, 50.0, 50.0, 50.0)]
    assert rows[0].max_at.minute == 59 and rows[0].max_at.second == 20

"""End to end: `spbe run` probing a loopback HTTP target every second."""

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from spbe_monitor.regulation.priority import TARGETS, Priority
from tests.daemon import Daemon, Target, figures_between, http_probe, ledger, write_config
from tests.pg import free_port

pytestmark = pytest.mark.date_sweep  # tests/timetravel.py


def setup(tmp_path: Path, target: Target) -> tuple[Path, int]:
    port = free_port()
    probes = http_probe(target.port)
    return write_config(tmp_path, port, probes, ["target-http"]), port


@pytest.mark.slow
def test_stopped_target_gives_exactly_one_outage_within_one_interval(tmp_path, target):
    target.start()
    config, port = setup(tmp_path, target)
    daemon = Daemon(config, port)
    daemon.wait_for(lambda: daemon.service_health() == "up", "service up")
    stopped = target.stop()
    daemon.wait_for(lambda: daemon.service_health() == "down", "service down")
    daemon.wait_for(lambda: (datetime.now(UTC) - stopped).total_seconds() > 6, "6 s down")
    restarted = target.start()
    daemon.wait_for(lambda: daemon.service_health() == "up", "service up again")
    assert daemon.stop() == 0
    store = ledger(config)
    [outage] = store.outages(["target"])
    assert outage.end_at is not None and not outage.closed_unobserved
    # within one interval (1 s) of the truth, and a second for a busy machine's scheduling
    assert abs((outage.start_at - stopped).total_seconds()) <= 2.0
    assert abs((outage.end_at - restarted).total_seconds()) <= 2.0
    fig = figures_between(config, outage.start_at, outage.end_at)
    expected = int(outage.end_at.timestamp()) - int(outage.start_at.timestamp())
    assert fig["downtime_seconds"] == expected
    assert 5 <= expected <= 9


@pytest.mark.slow
def test_kill_9_during_outage_then_restart_continues_the_same_incident(tmp_path, target):
    config, port = setup(tmp_path, target)  # the target never starts: down all along
    daemon = Daemon(config, port)
    store = ledger(config)
    daemon.wait_for(lambda: any(o.end_at is None for o in store.outages(["target"])),
                    "outage open in the ledger")
    time.sleep(2.5)  # observed down for a while after the outage opened
    daemon.kill()
    killed = datetime.now(UTC)
    time.sleep(10)  # the scenario itself: the daemon stays dead for ten real seconds
    daemon = Daemon(config, port)
    daemon.wait_for(lambda: any(o.end_at is None and o.gaps for o in store.outages(["target"])),
                    "the incident continued after the restart")
    assert daemon.stop() == 0
    [outage] = store.outages(["target"])  # one incident: same id, priority and deadline
    first, second = store.sessions()
    assert first["stopped_at"] is None  # the crash: no shutdown mark
    # observation lost to the crash: the last heartbeat before the kill
    # (a heartbeat a second, late by a few on a busy machine)
    assert 0 <= (killed - first["last_seen_at"]).total_seconds() <= 5
    [(gap_start, gap_end)] = outage.gaps
    assert gap_start == first["last_seen_at"]
    assert gap_end >= second["started_at"] and (gap_end - gap_start).total_seconds() >= 10
    assert outage.end_at == second["stopped_at"] and outage.closed_unobserved
    # the deadline still counts from the incident's start, not from the restart
    assert outage.resolve_by == outage.start_at + TARGETS[Priority(outage.priority)].resolution
    fig = figures_between(config, first["started_at"], second["stopped_at"])
    counted = sum(b - a for a, b in outage.spans(0))
    assert fig["downtime_seconds"] == counted
    assert counted == (int(outage.end_at.timestamp()) - int(outage.start_at.timestamp())
                       - (int(gap_end.timestamp()) - int(gap_start.timestamp())))
    assert isinstance(fig["unmonitored_seconds"], int) and fig["unmonitored_seconds"] >= 10

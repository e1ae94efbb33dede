"""What a reload does to the truth, with an injected clock: a new service is judged at once
from its components' current states, a removed one has its open outage closed at the
reload (flagged), and a changed one keeps its incident while its health holds."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import yaml

from spbe_monitor.app import restart_needed
from spbe_monitor.config.loader import Config, load_config
from spbe_monitor.ledger.writes import CloseOutage, OpenOutage, Transitions, Write
from spbe_monitor.monitor.engine import Monitor
from spbe_monitor.probers.base import ErrorKind, ProbeResult
from tests.conftest import FakeClock

OK = ProbeResult(True, 0.01, message="ok")
FAIL = ProbeResult(False, 0.01, ErrorKind.REFUSED, "refused")


def edit_services(config_dir: Path, change) -> Config:
    path = config_dir / "services.yaml"
    data = yaml.safe_load(path.read_text())
    change(data["services"])
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_config(config_dir / "spbe.yaml")


def feed(monitor: Monitor, clock: FakeClock, results: dict[str, ProbeResult], times: int = 3
         ) -> None:
    for _ in range(times):
        for pid, result in results.items():
            monitor.on_result(monitor.config.probes[pid], result, clock.now())
        clock.advance(10)


def running(config_dir: Path, clock: FakeClock) -> tuple[Monitor, list[Write]]:
    writes: list[Write] = []
    monitor = Monitor(load_config(config_dir / "spbe.yaml"), writes.append, clock)
    feed(monitor, clock, {"spbe-self-http": FAIL, "spbe-self-tcp": OK, "ledger-disk": OK,
                          "loopback-icmp": OK})
    monitor.flush_transitions()
    return monitor, writes


def add_backup_service(services: list[dict[str, object]]) -> None:
    services.append({**services[0], "id": "perizinan-cadangan", "name": "Perizinan Cadangan",
                     "components": ["spbe-self-tcp", "spbe-self-http"], "require": "all"})


def test_a_new_service_is_judged_at_once_from_running_probes(config_dir: Path,
                                                             clock: FakeClock):
    old, _ = running(config_dir, clock)
    new_config = edit_services(config_dir, add_backup_service)
    writes: list[Write] = []
    clock.advance(1)
    new = Monitor(new_config, writes.append, clock, previous=old)
    assert new.services["perizinan-cadangan"].health == "down"  # not unknown for minutes
    [opened] = [w for w in writes if isinstance(w, OpenOutage)]
    assert opened.service_id == "perizinan-cadangan"
    # dated from the component's first failed check, before the reload
    assert opened.start == old.components["spbe-self-http"].since
    assert new.services["perizinan-online"] is old.services["perizinan-online"]  # unchanged


def test_a_removed_service_has_its_open_outage_closed_at_the_reload(config_dir: Path,
                                                                    clock: FakeClock):
    edit_services(config_dir, add_backup_service)
    old, _ = running(config_dir, clock)
    assert old.services["perizinan-cadangan"].health == "down"
    new_config = edit_services(config_dir, lambda services: services.pop())
    reload_at = clock.now() + timedelta(seconds=1)
    clock.current = reload_at
    writes: list[Write] = []
    new = Monitor(new_config, writes.append, clock, previous=old)
    new.flush_transitions()
    closes = [w for w in writes if isinstance(w, CloseOutage)]
    assert closes == [CloseOutage("perizinan-cadangan", reload_at, unobserved=True)]
    [rows] = [w.rows for w in writes if isinstance(w, Transitions)]
    assert ("perizinan-cadangan", "down", "unknown", "removed from configuration") in {
        (r.subject_id, r.old, r.new, r.message) for r in rows}


def test_a_changed_service_keeps_its_incident_while_its_health_holds(config_dir: Path,
                                                                     clock: FakeClock):
    old, _ = running(config_dir, clock)
    new_config = edit_services(config_dir, lambda services: services[0].update(
        components=["spbe-self-http", "spbe-self-tcp"]))  # ledger-disk dropped; still down
    writes: list[Write] = []
    new = Monitor(new_config, writes.append, clock, previous=old)
    assert new.services["perizinan-online"].health == "down"
    assert not [w for w in writes if isinstance(w, CloseOutage | OpenOutage)]
    # and one that recovers by the change closes it at the reload
    fixed = edit_services(config_dir, lambda services: services[0].update(
        components=["spbe-self-tcp"]))
    writes.clear()
    Monitor(fixed, writes.append, clock, previous=new)
    assert [type(w) for w in writes] == [CloseOutage]


def test_settings_a_running_daemon_cannot_take_need_a_restart(config_dir: Path):
    config = load_config(config_dir / "spbe.yaml")
    settings = config_dir / "spbe.yaml"
    settings.write_text(settings.read_text().replace("port: 9740", "port: 9741").replace(
        "timezone: Asia/Jakarta ", "timezone: Asia/Makassar "))
    changed = load_config(settings)
    assert restart_needed(config, changed) == ["server", "timezone"]
    assert restart_needed(config, config) == []

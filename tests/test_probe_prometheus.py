"""The `prometheus` kind against a real Prometheus scraping a real blackbox_exporter that
probes a loopback HTTP server, stopped for a known span: one outage, dated within one
scrape interval of the truth; and what must not count as downtime (Prometheus silent, a
sample already seen) changes nothing."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from spbe_monitor.clock import SystemClock
from spbe_monitor.monitor.runner import Runner
from spbe_monitor.monitor.state import ComponentState, Health, Transition
from spbe_monitor.probers.base import ProbeResult, ProbeSettings
from spbe_monitor.probers.context import ProbeContext
from spbe_monitor.probers.prometheus import Config, newest, probe
from tests.pg import free_port
from tests.test_dashboards import tool
from tests.test_prometheus import wait

SCRAPE = 1.0  # seconds


def http_server(port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
                             str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def answers(port: int) -> bool:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).close()
        return True
    except OSError:
        return False


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[tuple[int, int]]:
    """(Prometheus port, target port): Prometheus scrapes blackbox_exporter's probe of the
    target every second, as an agency's existing setup does."""
    target, exporter, prom = free_port(), free_port(), free_port()
    (tmp_path / "blackbox.yml").write_text(
        "modules:\n  http_2xx: {prober: http, timeout: 1s}\n")
    (tmp_path / "prometheus.yml").write_text(f"""\
global: {{scrape_interval: {SCRAPE:g}s, scrape_timeout: {SCRAPE:g}s}}
scrape_configs:
  - job_name: blackbox
    metrics_path: /probe
    params: {{module: [http_2xx]}}
    static_configs: [{{targets: ["http://127.0.0.1:{target}/"]}}]
    relabel_configs:
      - {{source_labels: [__address__], target_label: __param_target}}
      - {{source_labels: [__param_target], target_label: instance}}
      - {{target_label: __address__, replacement: "127.0.0.1:{exporter}"}}
""")
    procs = [subprocess.Popen([tool("prometheus-blackbox-exporter"),
                               f"--config.file={tmp_path / 'blackbox.yml'}",
                               f"--web.listen-address=127.0.0.1:{exporter}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
             subprocess.Popen([tool("prometheus"), f"--config.file={tmp_path / 'prometheus.yml'}",
                               f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                               f"--web.listen-address=127.0.0.1:{prom}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        yield prom, target
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)


def settings(prom: int, target: int, **extra: object) -> Config:
    return Config.model_validate({
        "id": "portal-bb", "url": f"http://127.0.0.1:{prom}",
        "series": f'probe_success{{instance="http://127.0.0.1:{target}/"}}',
        "interval": "1s", "timeout": "900ms", "failures_to_down": 2, **extra})


async def watch(cfg: Config, seconds: float, state: ComponentState,
                changes: list[Transition], ctx: ProbeContext) -> None:
    """The daemon's runner feeding the component's state machine, for `seconds`."""
    def on_result(_: ProbeSettings, result: ProbeResult, at: datetime) -> None:
        change = state.observe(result, at)
        if change is not None:
            changes.append(change)

    runner = Runner({cfg.id: cfg}, on_result, SystemClock(), ctx, seed=1)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    await asyncio.sleep(seconds)
    stop.set()
    await task


@pytest.mark.slow
def test_an_outage_seen_by_the_agencys_blackbox_is_dated_by_its_samples(fleet):
    prom, port = fleet
    cfg = settings(prom, port)
    state = ComponentState(cfg.id, cfg.failures_to_down, cfg.successes_to_up)
    changes: list[Transition] = []
    ctx = ProbeContext()  # the daemon's, across the three spans
    target = http_server(port)
    try:
        wait(lambda: asyncio.run(probe(cfg, ProbeContext())).ok, "a passing sample")
        asyncio.run(watch(cfg, 3, state, changes, ctx))
        assert state.health is Health.UP, state.last
        target.terminate()
        target.wait()
        stopped = datetime.now(UTC)
        asyncio.run(watch(cfg, 6, state, changes, ctx))
        target = http_server(port)
        wait(lambda: answers(port), "the target back")
        started = datetime.now(UTC)
        asyncio.run(watch(cfg, 5, state, changes, ctx))
    finally:
        target.terminate()
        target.wait()
    down = [c for c in changes if c.new is Health.DOWN]
    up = [c for c in changes if c.old is Health.DOWN]
    assert len(down) == 1 and len(up) == 1, changes
    # within one scrape interval of the truth (a sample is dated when its scrape began, and
    # the exporter's probe runs a moment later), plus the scrape's own time
    slack = timedelta(seconds=SCRAPE + 0.5)
    assert stopped - slack <= down[0].since <= stopped + slack
    assert started - slack <= up[0].since <= started + slack
    assert "probe_success = 0" in down[0].message


def test_prometheus_silent_is_not_downtime():
    """Nothing listens where Prometheus should be: no state change however long it lasts."""
    cfg = settings(free_port(), 1)
    state = ComponentState(cfg.id, 1, 1)
    result = asyncio.run(probe(cfg, ProbeContext()))
    assert not result.fresh and "Prometheus not read" in result.message
    for _ in range(5):
        assert state.observe(result, datetime.now(UTC)) is None
    assert state.health is Health.UNKNOWN and state.last is result


def test_a_sample_already_seen_is_not_a_second_observation():
    state = ComponentState("x", 2, 1)
    at = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
    failed = ProbeResult(False, 0.01, None, "probe_success = 0", observed_at=at)
    assert state.observe(failed, at) is None
    again = ProbeResult(False, 0.01, None, "probe_success = 0", observed_at=at, fresh=False)
    assert state.observe(again, at + timedelta(seconds=5)) is None
    assert state.health is Health.UNKNOWN and state.last_at == at  # what /metrics reports
    later = at + timedelta(seconds=15)
    change = state.observe(ProbeResult(False, 0.01, None, "probe_success = 0",
                                       observed_at=later), later)
    assert change is not None and change.new is Health.DOWN and change.since == at


def test_the_newest_sample_of_exactly_one_series():
    data = {"data": {"result": [{"values": [[1.5, "1"], [2.5, "0"]]}]}}
    assert newest(data, "up") == (2.5, 0.0)
    assert newest({"data": {"result": []}}, "up") is None
    with pytest.raises(ValueError, match="matches 2 series"):
        newest({"data": {"result": [{"values": []}, {"values": []}]}}, "up")


@pytest.mark.parametrize("bad", [
    {"url": "ftp://prom:9090"}, {"series": "sum(probe_success)"},
    {"series": "probe_success{a=\"b\"}[5m]"},
], ids=["url", "expression", "range"])
def test_config_names_what_is_wrong(bad: dict[str, str]):
    with pytest.raises(ValidationError):
        settings(9090, 80, **bad)

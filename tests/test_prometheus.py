"""A real Prometheus (Debian's) on loopback scraping a real `spbe run` every second: every
PromQL expression of every dashboard panel, variable and rule evaluates without error, and
the month-to-date availability recomputed in PromQL equals `spbe availability`."""

import json
import os
import re
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import token_for
from tests.conftest import IN_CI, SPBE
from tests.daemon import TEKNIS, Daemon, write_config
from tests.pg import free_port
from tests.test_dashboards import RULES, exprs
from tests.timetravel import month_of, month_start


def query(port: int, expr: str) -> dict[str, Any]:
    """Instant query; Grafana's `label_values(metric, label)` goes to the label API."""
    grafana = re.fullmatch(r"label_values\((.+), *(\w+)\)", expr)
    if grafana:
        url = (f"http://127.0.0.1:{port}/api/v1/label/{grafana[2]}/values?"
               + urllib.parse.urlencode({"match[]": grafana[1]}))
    else:
        url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            data: dict[str, Any] = json.load(r)
    except urllib.error.HTTPError as exc:
        data = json.load(exc)
    return data


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[tuple[int, Path, int]]:
    binary = shutil.which("prometheus")
    if binary is None:
        if IN_CI:
            pytest.fail("prometheus missing under CI=true: scripts/test installs it")
        pytest.skip("prometheus not installed")
    spbe_port, prom_port = free_port(), free_port()
    (tmp_path / "prometheus.yml").write_text(f"""\
global: {{scrape_interval: 1s, evaluation_interval: 1s}}
rule_files: ["{RULES}"]
scrape_configs:
  - job_name: spbe-monitor
    static_configs: [{{targets: ["127.0.0.1:{spbe_port}"]}}]
""")
    proc = subprocess.Popen([binary, f"--config.file={tmp_path / 'prometheus.yml'}",
                             f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                             f"--web.listen-address=127.0.0.1:{prom_port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield prom_port, tmp_path, spbe_port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def wait(condition: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


@pytest.mark.slow
def test_every_expression_evaluates_and_availability_matches(prometheus):
    prom_port, folder, spbe_port = prometheus
    probes = f"""\
probes:
  - id: self-http
    kind: http
    url: http://127.0.0.1:{spbe_port}/-/healthy
    interval: 1s
  - id: self-tcp
    kind: tcp
    host: 127.0.0.1
    port: {spbe_port}
    interval: 1s
"""
    config = write_config(folder / "spbe", spbe_port, probes, ["self-http", "self-tcp"])
    # up to an hour of downtime earlier in this month (the service's month, in WIB)
    start = max(month_start(datetime.now(UTC)).astimezone(UTC),
                datetime.now(UTC) - timedelta(hours=2))
    while datetime.now(UTC) - start < timedelta(seconds=3):  # the month's first seconds
        time.sleep(0.2)
    end = min(start + timedelta(hours=1), datetime.now(UTC) - timedelta(seconds=1))
    subprocess.run([*SPBE, "--config", str(config), "downtime", "add", "target", "--start",
                    start.isoformat(), "--end", end.isoformat(), "--cause", "uji"],
                   check=True, capture_output=True,
                   env={**os.environ, "SPBE_TOKEN": token_for(config, TEKNIS)})
    daemon = Daemon(config, spbe_port)
    try:
        daemon.wait_for(lambda: daemon.service_health() == "up", "service up")
        wait(lambda: query(prom_port, "spbe:service_month_availability:ratio")["data"][
            "result"], "recorded availability")
        services = query(prom_port, "label_values(spbe_service_in_maintenance, "
                         "service)")
        assert services["data"] == ["target"]
        failures = {}
        for expr in exprs():
            result = query(prom_port, expr.replace("$service", "target"))
            if result.get("status") != "success":
                failures[expr] = result.get("error")
        assert not failures, failures
        promql = query(prom_port, '100 * (1 - spbe_service_month_downtime_seconds{service='
                       '"target"} / spbe_service_month_committed_seconds{service="target"})')
        from_prom = float(promql["data"]["result"][0]["value"][1])
        month = month_of(datetime.now(UTC))
        out = subprocess.run([*SPBE, "--config", str(config), "availability", "--month", month,
                              "--service", "target", "--json"], check=True, capture_output=True,
                             text=True).stdout
        from_cli = json.loads(out)[0]["availability_percent"]
        assert from_cli < 100  # the hour of downtime counts
        assert abs(from_prom - from_cli) <= 0.01
        alerts = query(prom_port, "ALERTS")
        assert alerts["status"] == "success"
        # the calendar and the service's name reach Prometheus for the alerts that use them
        hours = query(prom_port, 'spbe_service_in_operating_time{service="target"}')
        assert [r["value"][1] for r in hours["data"]["result"]] == ["1"]  # a 24x7 service
        named = query(prom_port, 'spbe_service_info{service="target"}')["data"]["result"]
        assert named and named[0]["metric"]["name"]
    finally:
        assert daemon.stop() == 0


@pytest.mark.slow
def test_disk_use_and_a_never_drilled_service_reach_prometheus_and_its_alerts(
        prometheus, config_dir: Path):
    """The bundled example: its storage probe's disk use feeds the disk-full forecast, and
    perizinan-online (Kritis, never drilled, judged by the ledger for 400 days) is reported
    overdue — a year after it was first judged, not on a new installation's first day."""
    from spbe_monitor.config.loader import load_config
    from spbe_monitor.ledger import db
    from spbe_monitor.ledger.records import TransitionRow
    from spbe_monitor.ledger.store import Store

    prom_port, _, spbe_port = prometheus
    for path in [config_dir / "spbe.yaml", *(config_dir.parent / "probes").glob("*.yaml")]:
        path.write_text(path.read_text().replace("9740", str(spbe_port)).replace(
            "interval: 30s", "interval: 1s"))
    engine = db.make_engine(load_config(config_dir / "spbe.yaml").database_url)
    db.upgrade(engine)
    first = datetime.now(UTC) - timedelta(days=400)
    Store(engine).record_transitions([TransitionRow("service", "perizinan-online", first,
                                                    "unknown", "up", "pertama dinilai")])
    engine.dispose()
    daemon = Daemon(config_dir / "spbe.yaml", spbe_port)
    try:
        wait(lambda: query(prom_port, 'spbe_host_disk_used_ratio{probe="ledger-disk"}')[
            "data"]["result"], "disk use of the storage probe")
        [disk] = query(prom_port, 'spbe_host_disk_used_ratio{probe="ledger-disk"}')["data"][
            "result"]
        assert disk["metric"]["mount"] == os.path.normpath(config_dir.parent / "var")
        assert 0 < float(disk["value"][1]) < 1
        wait(lambda: query(prom_port, 'predict_linear(spbe_host_disk_used_ratio[6h], '
                           '7 * 86400)')["data"]["result"], "the forecast's input")
        wait(lambda: query(prom_port, 'ALERTS{alertname="SpbeDRPDrillOverdue"}')["data"][
            "result"], "drill overdue alert")
        [alert] = query(prom_port, 'ALERTS{alertname="SpbeDRPDrillOverdue"}')["data"]["result"]
        assert alert["metric"]["service"] == "perizinan-online"  # the only one with a playbook
        [never] = query(prom_port, "spbe_drp_last_drill_timestamp_seconds")["data"]["result"]
        assert float(never["value"][1]) == 0
        [due] = query(prom_port, "spbe_drp_drill_due_timestamp_seconds")["data"]["result"]
        assert float(due["value"][1]) == (first + timedelta(days=365)).timestamp()
        with urllib.request.urlopen(f"http://127.0.0.1:{spbe_port}/metrics") as r:
            exposition = r.read()
        check = subprocess.run([str(shutil.which("promtool")), "check", "metrics"],
                               input=exposition, capture_output=True)
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        assert daemon.stop() == 0

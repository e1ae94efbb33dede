"""Dashboards, rules and deploy files, checked by the real tools where one exists, and the
metric names they use pinned to what the exporter produces."""

import json
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry, generate_latest

from spbe_monitor.config.loader import load_config
from spbe_monitor.drp.facts import DrpFacts, LastDrill, LiveRun
from spbe_monitor.exporter.collector import DaemonFacts, SpbeCollector
from spbe_monitor.exporter.ledger_view import LedgerView
from spbe_monitor.ledger.durable import WriterHealth
from spbe_monitor.ledger.store import Outage, Store
from spbe_monitor.monitor.engine import Monitor
from spbe_monitor.monitor.runner import Runner
from spbe_monitor.monthly import figures_for_month
from spbe_monitor.probers.base import ProbeResult
from spbe_monitor.probers.context import ProbeContext
from tests.conftest import IN_CI, ROOT, FakeClock

DASHBOARDS = sorted((ROOT / "dashboards").glob("*.json"))
RULES = ROOT / "dashboards" / "rules" / "spbe.rules.yml"


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(f"{name} missing under CI=true: scripts/test installs it")
        pytest.skip(f"{name} not installed")
    return path


def exprs() -> list[str]:
    """Every PromQL expression in every panel, template variable and rule."""
    out = []
    for path in DASHBOARDS:
        board = json.loads(path.read_text())
        out += [t["expr"] for p in board["panels"] for t in p["targets"]]
        out += [v["query"]["query"] for v in board["templating"]["list"]
                if v["type"] == "query"]
    for group in yaml.safe_load(RULES.read_text())["groups"]:
        out += [r["expr"] for r in group["rules"]]
    return out


def test_promtool_checks_and_unit_tests_every_alert():
    promtool = tool("promtool")
    subprocess.run([promtool, "check", "rules", str(RULES)], check=True, capture_output=True)
    result = subprocess.run([promtool, "test", "rules", "spbe.rules.test.yml"],
                            cwd=RULES.parent, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    alerts = {r["alert"] for g in yaml.safe_load(RULES.read_text())["groups"]
              for r in g["rules"] if "alert" in r}
    tested = set(re.findall(r"alertname: (\w+)", (RULES.parent / "spbe.rules.test.yml")
                            .read_text()))
    assert alerts == tested


def installed_copy(src: Path, dest: Path) -> Path:
    dest.write_text(src.read_text().replace("/opt/spbe-monitor", str(ROOT)))
    return dest


def test_deploy_files_pass_their_tools(tmp_path):
    promtool = tool("promtool")
    config = installed_copy(ROOT / "deploy" / "prometheus.yml", tmp_path / "prometheus.yml")
    subprocess.run([promtool, "check", "config", str(config)], check=True, capture_output=True)
    analyze = tool("systemd-analyze")
    unit = installed_copy(ROOT / "deploy" / "spbe-monitor.service",
                          tmp_path / "spbe-monitor.service")
    if not (ROOT / ".venv" / "bin" / "spbe").exists():
        pytest.skip("the unit points at .venv/bin/spbe, which scripts/test creates")
    ok = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stderr.strip() == "", ok.stderr
    broken = tmp_path / "broken.service"
    broken.write_text(unit.read_text().replace("ExecStart=", "ExecStrat="))
    bad = subprocess.run([analyze, "verify", str(broken)], capture_output=True, text=True)
    assert "ExecStrat" in bad.stderr or bad.returncode != 0


def test_dashboards_are_well_formed_and_in_bahasa_indonesia():
    titles = set()
    for path in DASHBOARDS:
        board = json.loads(path.read_text())
        titles.add(board["title"])
        assert board["uid"].startswith("spbe-") and board["schemaVersion"] >= 36
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids)), path
        for p in board["panels"]:
            assert p["datasource"]["uid"] == "spbe-prometheus"
            assert set(p["gridPos"]) == {"x", "y", "w", "h"}
            assert p["targets"] and all(t["expr"] and t["refId"] for t in p["targets"])
    assert titles == {"Ringkasan Ketersediaan Layanan SPBE", "Detail Layanan",
                      "Pemulihan Layanan (DRP)"}
    ds = yaml.safe_load((ROOT / "dashboards/provisioning/datasources/spbe.yml").read_text())
    assert ds["datasources"][0]["uid"] == "spbe-prometheus"
    prov = yaml.safe_load((ROOT / "dashboards/provisioning/dashboards/spbe.yml").read_text())
    assert prov["providers"][0]["type"] == "file"


async def test_metric_names_used_are_the_ones_the_exporter_produces(config_dir, store: Store):
    """Drive the collector through a state where every family has samples, then compare."""
    config = load_config(config_dir / "spbe.yaml")
    clock = FakeClock()
    monitor = Monitor(config, lambda write: None, clock)
    host_values = {"cpu_used_percent": 12.0, "memory_used_percent": 40.0,
                   "swap_used_percent": 1.0, "load1": 0.3, "uptime_seconds": 100.0,
                   "disk_used_percent:/": 50.0, "inode_used_percent:/": 3.0,
                   "net_rx_bytes_per_second:eth0": 10.0, "net_tx_bytes_per_second:eth0": 5.0,
                   "bandwidth_used_percent:eth0": 1.0, "if_up:eth0": 1.0,
                   "tls_cert_expiry_timestamp_seconds": 2e9}
    for cfg in config.probes.values():
        monitor.on_result(cfg, ProbeResult(True, 0.01, phases={"connect": 0.001},
                                           values=host_values), clock.now())
    now = clock.now()
    months = {f.service.id: f for f in figures_for_month(
        config, store, now.year, now.month, list(config.services), now)}
    outage = Outage(1, "perizinan-online", now, None, "mayor", "P1", "probe", None, None,
                    False, now + timedelta(minutes=15), now + timedelta(hours=12))
    drp = DrpFacts({"perizinan-online": LastDrill(now, 3600.0, 7200.0)},
                   [LiveRun(1, "perizinan-online", "recovery", "perizinan-online", 86400.0,
                            600.0, 4200.0)])
    view = LedgerView(now, months, {"perizinan-online": outage}, frozenset(), drp,
                      {"perizinan-online": int(now.timestamp())})
    runner = Runner(config.probes, monitor.on_result, clock, ProbeContext())
    runner.stats.late(0.01)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SpbeCollector(lambda: monitor, lambda: view,
                                    lambda: DaemonFacts(runner, True, 1.0,
                                                        WriterHealth(3, 7, now, "down"))))
    text = generate_latest(registry).decode()
    produced = {line.split("{")[0].split(" ")[0] for line in text.splitlines()
                if line and not line.startswith("#")}
    recorded = {r["record"] for g in yaml.safe_load(RULES.read_text())["groups"]
                for r in g["rules"] if "record" in r}
    used = {name for e in exprs() for name in re.findall(r"\bspbe[_:][a-z0-9_:]+", e)}
    unknown = used - produced - recorded
    assert not unknown, f"dashboards or rules use metrics nobody produces: {sorted(unknown)}"

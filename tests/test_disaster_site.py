"""Availability follows the service through a disaster (REGULATION.md, "While a disaster
recovery is active"): a real daemon, a real runner in another process, real HTTP sites.

The primary goes down at T0 and stays down; a declared run's recovery sees the secondary
(warm standby) healthy at T1, the RTO point. From T1 the service is judged at the
secondary: its outage ends at T1 and does not grow while the primary stays dead; status,
/metrics and Formulir F say it is served from the DRC. Normalisation's gate at the primary
switches it back. A Koordinator Pemulihan can switch it by hand, with a reason, through the
daemon; nobody else can."""

from __future__ import annotations

import re
import subprocess
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from spbe_monitor.ledger.sites import switches
from tests.daemon import Daemon, Target, figures_between, ledger
from tests.pg import free_port
from tests.receiver import Receiver
from tests.service_user import hand_over
from tests.test_drp import (
    KABID,
    PENYEDIA,
    STARTER,
    TEKNIS,
    declare,
    people,
    runner,
    sign_declaration,
    spbe,
    status,
    wait,
)

pytestmark = pytest.mark.date_sweep  # an outage across a month's or a year's end: timetravel


def write(folder: Path, primary: int, secondary: int, port: int, hook: str) -> Path:
    hand_over(folder)
    (folder / "probes").mkdir()
    (folder / "playbooks").mkdir()
    probe = """\
  - id: portal-{site}
    kind: http
    url: http://127.0.0.1:{port}/
    interval: 1s
    timeout: 800ms
    failures_to_down: 1
    labels: {{site: {site}}}
"""
    (folder / "probes" / "portal.yaml").write_text(
        "probes:\n" + probe.format(site="primary", port=primary)
        + probe.format(site="secondary", port=secondary))
    (folder / "spbe.yaml").write_text(f"""\
database: sqlite:///ledger.db
probes: probes
playbooks: playbooks
heartbeat_interval: 1s
server: {{listen: 127.0.0.1, port: {port}}}
telegram: {{token_file: bot.token, api_url: "{hook}/telegram"}}
""")
    (folder / "bot.token").write_text("123456:rahasia-bot")
    (folder / "bot.token").chmod(0o600)
    (folder / "services.yaml").write_text("""\
services:
  - id: portal
    name: Portal Layanan Publik
    provider: Diskominfo
    technical_team: Aptika
    nature: publik
    application_basis: umum
    user_scope: nasional
    availability_target: 99
    rto: 1h
    rpo: 1d
    operating_hours: 24x7
    drp_playbook: portal
    components: [portal-primary]
    standby: [portal-secondary]
""")
    (folder / "people.yaml").write_text(people().replace(
        "roles: [koordinator_pemulihan], services: [portal]}",
        "roles: [koordinator_pemulihan], services: [portal], telegram_chat_id: 4242}"))
    (folder / "playbooks" / "portal.yaml").write_text(f"""\
id: portal
version: 1
services: [portal]
webhooks: [{hook}/ruang-kendali]
declaration:
  assess-facility: {{checklist: [Catu daya]}}
recovery:
  - id: verify-secondary
    title: Verifikasi di situs sekunder
    kind: wait_healthy
    services: [portal]
    timeout: 30s
    poll: 200ms
normalisation:
  - id: primary-repaired
    title: Situs primer sudah diperbaiki
    kind: manual
  - id: verify-primary
    title: Verifikasi di situs primer
    kind: wait_healthy
    services: [portal]
    site: primary
    needs: [primary-repaired]
    timeout: 30s
    poll: 200ms
""")
    return folder / "spbe.yaml"


def metrics(daemon: Daemon) -> str:
    with urllib.request.urlopen(f"{daemon.url}/metrics", timeout=5) as r:
        return str(r.read().decode())


def portal(daemon: Daemon) -> dict[str, object]:
    st = daemon.status()
    assert st is not None
    found: dict[str, object] = st["services"]["portal"]
    return found


def step_output(config: Path, step: str) -> dict[str, str]:
    found: dict[str, str] = next(s for s in status(config, 1)["steps"]
                                 if s["id"] == step)["output"]
    return found


@pytest.mark.slow
def test_a_service_served_from_the_drc_is_available_from_the_rto_point(tmp_path: Path):
    primary, secondary = Target(), Target()
    primary.start()
    secondary.start()  # a warm standby: the DRC is up, waiting
    port = free_port()
    hook = Receiver()
    config = write(tmp_path, primary.port, secondary.port, port, hook.url)
    daemon = Daemon(config, port)
    store = ledger(config)
    try:
        daemon.wait_for(lambda: portal(daemon)["health"] == "up", "the portal up")
        assert portal(daemon)["site"] == "primary"
        t0 = primary.stop()  # the disaster: the primary site is gone for good
        wait(lambda: [o.end_at for o in store.outages()] == [None], "the outage opened")

        assert spbe(config, "drp", "start", "portal", "--mode", "drill", "--by", STARTER,
                    "--detach").returncode == 0
        proc = runner(config, 1, tmp_path / "runner.log")
        sign_declaration(config, 1)
        r = declare(config, 1, PENYEDIA)
        assert r.returncode == 0, r.stderr
        wait(lambda: step_output(config, "verify-secondary").get("healthy_at"), "RTO point")
        t1 = datetime.fromisoformat(step_output(config, "verify-secondary")["healthy_at"])

        # judged at the DRC from T1: the outage that started the disaster ends there
        daemon.wait_for(lambda: portal(daemon)["health"] == "up", "served from the DRC")
        assert portal(daemon)["site"] == "secondary"
        assert portal(daemon)["components"] == ["portal-secondary"]
        (outage,) = store.outages()
        assert outage.end_at == t1
        assert abs((outage.start_at - t0).total_seconds()) <= 1.5  # one probe interval
        down = figures_between(config, t0, t1, "portal")["downtime_seconds"]
        # whole seconds in the formula: within a probe interval (1 s) and a second's rounding
        assert abs(down - (t1 - t0).total_seconds()) <= 2.5
        assert abs(down - (outage.end_at - outage.start_at).total_seconds()) <= 1
        time.sleep(4)  # the primary is still dead: nothing grows
        assert len(store.outages()) == 1
        assert figures_between(config, t0, t1, "portal")["downtime_seconds"] == down
        # the daemon restarted mid-disaster judges at the DRC from its first result
        assert daemon.stop() == 0
        daemon = Daemon(config, port)
        daemon.wait_for(lambda: portal(daemon)["health"] == "up", "up again at the DRC")
        assert portal(daemon)["site"] == "secondary"
        time.sleep(3)
        assert len(store.outages()) == 1
        text = metrics(daemon)
        assert 'spbe_service_site{service="portal",site="secondary"} 1.0' in text
        assert 'spbe_service_up{service="portal"} 1.0' in text
        # the primary's probe is no component now: SpbeComponentDown joins on this
        assert 'probe="portal-primary",service="portal"' not in text
        assert 'spbe_service_component{probe="portal-secondary",service="portal"} 1.0' in text
        assert 'spbe_component_up{probe="portal-primary"} 0.0' in text  # still watched
        page = subprocess.run(
            [*spbe_cmd(config), "report", "formulir-f", "--service", "portal", "--month",
             t1.astimezone(ZoneInfo("Asia/Jakarta")).strftime("%Y-%m"), "--partial",
             "--format", "html", "--out", str(tmp_path / "f")], capture_output=True, text=True)
        assert page.returncode == 0, page.stderr
        html = next((tmp_path / "f").rglob("*.html")).read_text()
        assert "Dilayani dari situs sekunder (DRC) dari" in html
        # §A: the DRC's server beside the primary's, measured over the time it served
        assert "Komponen portal-primary (" in html
        assert re.search(r"Komponen portal-secondary \(.*?, situs sekunder \(DRC\)\) — "
                         r"ketersediaan 100,00%", html), html
        assert ("Komponen portal-secondary tersedia 100,00% dari waktu layanan yang terpantau "
                "selama layanan dilayani dari situs sekunder (DRC)") in html

        # normalisation: the primary repaired, its own gate switches the service back
        primary.start()
        r = spbe(config, "drp", "approve", "1", "primary-repaired", "--by", KABID)
        assert r.returncode == 0, r.stderr
        assert proc.wait(timeout=60) == 0, (tmp_path / "runner.log").read_text()
        t2 = datetime.fromisoformat(step_output(config, "verify-primary")["healthy_at"])
        daemon.wait_for(lambda: portal(daemon)["site"] == "primary", "back at the primary")
        assert [(s.site, s.at, s.run_id) for s in switches(store.engine)] == [
            ("secondary", t1, 1), ("primary", t2, 1)]
        assert portal(daemon)["health"] == "up" and len(store.outages()) == 1

        # a failover outside a run: the Koordinator Pemulihan's, with a reason
        r = spbe(config, "site", "switch", "portal", "--to", "secondary", "--by", TEKNIS,
                 "--reason", "pindah manual")
        assert r.returncode == 3 and "Koordinator Pemulihan" in r.stderr
        r = spbe(config, "site", "switch", "portal", "--to", "tersier", "--by", KABID,
                 "--reason", "pindah manual")
        assert r.returncode == 2 and "no probes at site 'tersier'" in r.stderr
        r = spbe(config, "site", "switch", "portal", "--to", "secondary", "--by", KABID,
                 "--reason", "pindah manual")
        assert r.returncode == 0, r.stderr
        daemon.wait_for(lambda: portal(daemon)["site"] == "secondary", "switched by hand")
        listed = spbe(config, "site", "list")
        assert "pindah manual" in listed.stdout and KABID in listed.stdout
        assert spbe(config, "audit", "verify").returncode == 0

        # the war room heard the RTO met, by webhook and on the Koordinator's Telegram
        told = [b for p, b in hook.received if p == "/ruang-kendali"]
        events = [b["event"] for b in told]
        assert events.index("phase.recovery") < events.index("rto.met") < events.index(
            "phase.normalisation") < events.index("run.done")
        met = told[events.index("rto.met")]
        assert met["step"] == "verify-secondary" and met["rto_target_seconds"] == 3600
        chats = [b for p, b in hook.received if p == "/telegram/bot123456:rahasia-bot/"
                 "sendMessage"]
        assert {b["chat_id"] for b in chats} == {4242}
        assert any("layanan pulih di situs sekunder" in b["text"] for b in chats)
        assert "rahasia-bot" not in (tmp_path / "runner.log").read_text()
    finally:
        hook.server.shutdown()
        daemon.stop()
        for t in (primary, secondary):
            if t.server is not None:
                t.stop()


def spbe_cmd(config: Path) -> list[str]:
    from tests.conftest import SPBE

    return [*SPBE, "--config", str(config)]

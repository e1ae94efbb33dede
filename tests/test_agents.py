"""Probing from two sites: the central daemon ("pusat") here, a real `spbe agent` ("isp-b")
in a network namespace of its own, tied to this one by veth pairs. A target the agent
reaches and the daemon does not is an outage under quorum 1, and under quorum 2 disputed
(unmonitored: the agent cannot cancel what the daemon's own site sees down); an
agent cut off from the daemon for 60 s replays what it saw, and the figures are the truth."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from spbe_monitor.agent.protocol import new_token
from spbe_monitor.ledger.store import Store
from tests.daemon import Daemon, Target, ledger, service_yaml
from tests.netns import Site, need_root
from tests.pg import free_port
from tests.timetravel import months_between


@pytest.fixture
def site() -> Iterator[Site]:
    need_root()
    s = Site()
    yield s
    s.remove()


def write_config(folder: Path, listen: str, port: int, token_sha: str, hidden: int,
                 shared: str) -> Path:
    (folder / "probes").mkdir(parents=True)
    (folder / "playbooks").mkdir()
    probe = """\
  - id: {id}
    kind: http
    url: {url}
    interval: 1s
    timeout: 800ms
    failures_to_down: 2
    successes_to_up: 1
    locations: [pusat, isp-b]
"""
    (folder / "probes" / "targets.yaml").write_text("probes:\n" + probe.format(
        id="hidden-q2", url=f"http://127.0.0.1:{hidden}/") + "    quorum: 2\n" + probe.format(
        id="hidden-q1", url=f"http://127.0.0.1:{hidden}/") + "    quorum: 1\n" + probe.format(
        id="shared", url=shared))
    (folder / "spbe.yaml").write_text(f"""\
database: sqlite:///ledger.db
probes: probes
playbooks: playbooks
heartbeat_interval: 1s
server: {{listen: {listen}, port: {port}}}
location: pusat
locations:
  isp-b: {{token_sha256: {token_sha}, silence: 2m}}
""")
    (folder / "services.yaml").write_text("services:\n" + "".join(
        service_yaml(sid, f"Layanan {sid}", [pid]) for sid, pid in (
            ("s-q2", "hidden-q2"), ("s-q1", "hidden-q1"), ("s-shared", "shared"))))
    (folder / "people.yaml").write_text("people: []\n")
    return folder / "spbe.yaml"


def health(d: Daemon, sid: str) -> str | None:
    st = d.status()
    return None if st is None else str(st["services"][sid]["health"])


def wait(condition: object, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_an_agent_elsewhere_votes_and_replays_what_it_saw_while_cut_off(tmp_path: Path,
                                                                       site: Site):
    subnet = random.randint(20, 240)
    central, _, ctl_if = site.link(subnet)  # the agent's way to the daemon
    target_ip, _, _ = site.link(subnet + 1)  # its way to the shared target
    token, digest = new_token()
    hidden = free_port()  # listened on only inside the agent's site
    shared = Target(target_ip)
    shared.start()
    port = free_port()
    config = write_config(tmp_path / "central", central, port, digest, hidden,
                          f"http://{target_ip}:{shared.port}/")
    behind = site.exec([sys.executable, "-m", "http.server", str(hidden), "--bind",
                        "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait(lambda: site.exec([sys.executable, "-c", "import socket; socket.create_connection("
                            f"('127.0.0.1', {hidden}), 1)"], stderr=subprocess.DEVNULL
                           ).wait() == 0, "the target inside the agent's site")
    daemon = Daemon(config, port, host=central)
    (tmp_path / "token").write_text(token)
    agent_log = open(tmp_path / "agent.log", "wb")  # noqa: SIM115 - closed below
    agent = site.exec([sys.executable, "-m", "spbe_monitor", "agent", "run", "--url",
                       f"http://{central}:{port}", "--token-file", str(tmp_path / "token"),
                       "--folder", str(tmp_path / "agent")], stdout=agent_log,
                      stderr=subprocess.STDOUT)
    store: Store = ledger(config)
    try:
        wait(lambda: health(daemon, "s-shared") == "up", "the shared target judged from both")
        # reachable from isp-b only: no outage under quorum 2, but the agent cannot make
        # available what the daemon's own site sees down either: disputed, unmonitored
        wait(lambda: [o.service_id for o in store.outages()] == ["s-q1"], "quorum 1 outage")
        time.sleep(3)
        assert health(daemon, "s-q2") == "unknown" and health(daemon, "s-q1") == "down"
        (q1,) = store.outages()
        assert q1.seen_from == "pusat" and q1.end_at is None
        metrics = urllib.request.urlopen(f"http://{central}:{port}/metrics").read().decode()
        assert 'spbe_location_up{location="isp-b",probe="hidden-q2"} 1.0' in metrics
        assert 'spbe_location_up{location="pusat",probe="hidden-q2"} 0.0' in metrics
        assert ('spbe_probe_success{kind="http",location="isp-b",probe="hidden-q2"} 1.0'
                in metrics)
        assert ('spbe_probe_success{kind="http",location="pusat",probe="hidden-q2"} 0.0'
                in metrics)

        # the agent is cut off from the daemon for 60 s; meanwhile the shared target is
        # down for 20 s, which both sites see
        cut = datetime.now(UTC)
        site.set_link(ctl_if, up=False)
        time.sleep(10)
        stopped = shared.stop()
        time.sleep(20)
        started = shared.start()
        time.sleep(max(0.0, 60 - (datetime.now(UTC) - cut).total_seconds()))
        assert [o.service_id for o in store.outages()] == ["s-q1"]  # judgement waited
        site.set_link(ctl_if, up=True)
        wait(lambda: any(o.service_id == "s-shared" and o.end_at is not None
                         for o in store.outages()), "the replayed outage", timeout=60)
        (outage,) = [o for o in store.outages() if o.service_id == "s-shared"]
        assert outage.end_at is not None
        assert abs((outage.start_at - stopped).total_seconds()) <= 1.5
        assert abs((outage.end_at - started).total_seconds()) <= 1.5
        assert outage.seen_from == "isp-b,pusat" and not outage.closed_unobserved
        assert "keeping results in" in (tmp_path / "agent.log").read_text()
        # the agent says so once the daemon's answer is back, after the daemon applied it
        wait(lambda: "spooled results pushed" in (tmp_path / "agent.log").read_text(),
             "the agent's own word that it pushed its spool", timeout=15)
        downtime = 0
        for month in months_between(stopped, started):  # the outage may cross a month's end
            figures = json.loads(subprocess.run(
                [sys.executable, "-m", "spbe_monitor", "--config", str(config), "availability",
                 "--month", month, "--service", "s-shared", "--json"],
                capture_output=True, text=True, check=True, env={
                    "SPBE_DIRECT": "1", "PATH": "/usr/bin:/bin"}).stdout)
            downtime += figures[0]["downtime_seconds"]
        assert abs(downtime - (started - stopped).total_seconds()) <= 2
    finally:
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=30)
        agent_log.close()
        behind.kill()
        behind.wait()
        daemon.stop()
        if shared.server is not None:
            shared.stop()


def test_an_agent_without_a_valid_token_is_refused(tmp_path: Path):
    port = free_port()
    token, digest = new_token()
    config = write_config(tmp_path / "central", "127.0.0.1", port, digest, free_port(),
                          "http://127.0.0.1:1/")
    daemon = Daemon(config, port)
    try:
        for headers in ({}, {"Authorization": "Bearer spbe-agent-wrong"},
                        {"Authorization": f"Basic {token}"}):
            request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/agent/probes",
                                             headers=headers)
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request)
            assert refused.value.code == 401
        good = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        probes = json.load(urllib.request.urlopen(urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/agent/probes", headers=good)))
        assert probes["location"] == "isp-b"
        assert sorted(p["id"] for p in probes["probes"]) == ["hidden-q1", "hidden-q2", "shared"]
        for body in (b"not json", b"[]", b'{"results": [{"probe": "shared"}]}',
                     b'{"results": [{"probe": "shared", "at": "2026-11-29T01:00:00", '
                     b'"ok": true, "duration_s": 0.1}]}',
                     b'{"results": [{"probe": "shared", "at": "9999-11-29T01:00:00+00:00", '
                     b'"ok": true, "duration_s": 0.1}]}',
                     b'{"results": [{"probe": "shared", "at": "2026-11-29T01:00:00+00:00", '
                     b'"ok": "yes", "duration_s": 0.1}]}',
                     json.dumps({"results": [{}] * 2001}).encode()):
            with pytest.raises(urllib.error.HTTPError) as bad:
                urllib.request.urlopen(urllib.request.Request(
                    f"http://127.0.0.1:{port}/api/v1/agent/results", data=body, headers=good))
            assert bad.value.code == 400 and json.load(bad.value)["error"]
        at = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
        answer = json.load(urllib.request.urlopen(urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/agent/results", headers=good, data=json.dumps(
                {"results": [{"probe": "nope", "at": at, "ok": True, "duration_s": 0.1}]}
            ).encode())))
        assert answer == {"accepted": 0, "unknown": ["nope"], "elsewhere": []}
    finally:
        daemon.stop()


def test_each_agent_keeps_a_witness_of_the_central_ledger_off_its_machine(tmp_path: Path):
    """Issue 29: a witness the central machine's administrators cannot rewrite. An agent
    receives every checkpoint with its pushes and keeps it at its location; after the
    central ledger is rewritten, its checkpoints and its own witness deleted, the agent's
    copy still names the first entry that differs."""
    from spbe_monitor.ledger.witness import newest
    from tests.test_audit_tamper import recompute_chain

    port = free_port()
    token, digest = new_token()
    config = write_config(tmp_path / "central", "127.0.0.1", port, digest, free_port(),
                          "http://127.0.0.1:1/")
    daemon = Daemon(config, port)
    (tmp_path / "token").write_text(token)
    agent = subprocess.Popen([sys.executable, "-m", "spbe_monitor", "agent", "run", "--url",
                              f"http://127.0.0.1:{port}", "--token-file",
                              str(tmp_path / "token"), "--folder", str(tmp_path / "agent")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    copy = tmp_path / "agent" / "witness.jsonl"
    cli = [sys.executable, "-m", "spbe_monitor", "--config", str(config)]
    try:
        store: Store = ledger(config)
        for n in range(5):
            store.record_act(datetime.now(UTC), "199002102015032005", "test.act", f"x:{n}")
        assert subprocess.run([*cli, "audit", "checkpoint"], capture_output=True).returncode == 0
        with store.engine.connect() as conn:
            signed = conn.exec_driver_sql("SELECT max(id) FROM audit_checkpoints").scalar_one()
        wait(lambda: (line := newest(copy)) is not None and line.checkpoint >= signed,
             "the agent's copy of the checkpoint")
        assert copy.stat().st_mode & 0o777 == 0o600
    finally:
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=30)
        daemon.stop()
    with store.engine.begin() as conn:  # the central machine's administrator at work
        conn.exec_driver_sql("UPDATE audit_log SET actor = 'someone' WHERE id = 2")
        recompute_chain(conn)
        conn.exec_driver_sql("DELETE FROM audit_checkpoints")
    (config.parent.parent / "keys" / "witness.jsonl").unlink()
    alone = subprocess.run([*cli, "audit", "verify"], capture_output=True, text=True)
    assert alone.returncode == 0, alone.stderr  # nothing on the central machine tells
    found = subprocess.run([*cli, "audit", "verify", "--witness", str(copy)],
                           capture_output=True, text=True)
    assert found.returncode == 1
    assert f"audit entry 2 differs from what was signed (witness {copy}" in found.stderr

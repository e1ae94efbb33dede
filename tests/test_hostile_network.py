"""Whoever can reach the daemon's port cannot create downtime (issue 28, item 2). Before,
1,100 idle connections took the daemon's 1,024 descriptors, every probe failed with "Too
many open files", and the ledger recorded an outage. Here: 2,000 idle connections and a
slowloris held for a minute beside an always-up target, the daemon on systemd's default of
1,024 descriptors → no downtime, /-/healthy answers within a second throughout, probes
start on time."""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.daemon import Daemon, Target, http_probe, ledger, write_config
from tests.pg import free_port

ATTACK_SECONDS = 60
IDLE, SLOW = 2000, 200


def idle_flood(port: int, stop: threading.Event, held: list[socket.socket]) -> None:
    """Keep opening connections from 127.0.0.2 that send nothing, up to IDLE at once."""
    while not stop.is_set():
        s = socket.socket()
        s.settimeout(1)
        try:
            s.bind(("127.0.0.2", 0))
            s.connect(("127.0.0.1", port))
        except OSError:
            s.close()
            time.sleep(0.01)
            continue
        held.append(s)
        if len(held) >= IDLE:
            held.pop(0).close()
        time.sleep(0.002)


def slowloris(port: int, stop: threading.Event) -> None:
    """SLOW connections from 127.0.0.3 trickling one header line a second, for ever."""
    conns: list[socket.socket] = []
    while not stop.is_set():
        while len(conns) < SLOW:
            s = socket.socket()
            s.settimeout(1)
            try:
                s.bind(("127.0.0.3", 0))
                s.connect(("127.0.0.1", port))
                s.send(b"GET /-/healthy HTTP/1.1\r\nHost: spbe\r\n")
            except OSError:
                s.close()
                break
            conns.append(s)
        for s in list(conns):
            try:
                s.send(b"X-Slow: 1\r\n")
            except OSError:
                conns.remove(s)
                s.close()
        stop.wait(1)
    for s in conns:
        s.close()


@pytest.mark.slow
def test_a_connection_flood_and_a_slowloris_cause_no_downtime(tmp_path: Path, target: Target):
    target.start()
    port = free_port()
    config = write_config(tmp_path, port, http_probe(target.port), ["target-http"])
    daemon = Daemon(config, port, open_files=1024)  # systemd's default for a unit
    daemon.wait_for(lambda: daemon.service_health() == "up", "service up")
    stop, held = threading.Event(), []  # type: ignore[var-annotated]
    attackers = [threading.Thread(target=idle_flood, args=(port, stop, held)),
                 threading.Thread(target=slowloris, args=(port, stop))]
    for t in attackers:
        t.start()
    slowest, unanswered = 0.0, 0
    try:
        end = time.monotonic() + ATTACK_SECONDS
        while time.monotonic() < end:
            started = time.monotonic()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/healthy", timeout=1):
                    slowest = max(slowest, time.monotonic() - started)
            except OSError:
                unanswered += 1
            time.sleep(0.5)
        assert len(held) > 500  # the flood really held connections open
    finally:
        stop.set()
        for t in attackers:
            t.join(timeout=30)
        for s in held:
            s.close()
    status = daemon.status()
    assert status is not None
    lateness = status["scheduler"]["lateness_p99_seconds"]
    assert daemon.stop() == 0
    assert unanswered == 0 and slowest < 1.0, (unanswered, slowest)
    assert lateness is not None and lateness < 1.0
    store = ledger(config)
    assert store.outages(["target"]) == []  # no downtime recorded
    assert "Too many open files" not in daemon.log.read_text()

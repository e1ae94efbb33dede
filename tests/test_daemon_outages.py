"""End to end: `spbe run` probing a loopback HTTP target every second."""

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import SPBE
from tests.daemon import Daemon, ledger, write_config
from tests.pg import free_port


class Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


class Target:
    """A loopback HTTP server that can be stopped and started again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> datetime:
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Ok)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return datetime.now(UTC)

    def stop(self) -> datetime:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()
        self.server = None
        return datetime.now(UTC)


@pytest.fixture
def target() -> Iterator[Target]:
    t = Target()
    yield t
    if t.server is not None:
        t.stop()


def setup(tmp_path: Path, target: Target) -> tuple[Path, int]:
    port = free_port()
    probes = f"""\
probes:
  - id: target-http
    kind: http
    url: http://127.0.0.1:{target.port}/
    interval: 1s
    timeout: 800ms
    failures_to_down: 3
    successes_to_up: 1
"""
    return write_config(tmp_path, port, probes, ["target-http"]), port


def availability(config: Path) -> dict[str, object]:
    month = datetime.now(UTC).astimezone().strftime("%Y-%m")
    out = subprocess.run([*SPBE, "--config", str(config), "availability", "--month", month,
                          "--json"], check=True, capture_output=True, text=True).stdout
    result: dict[str, object] = json.loads(out)[0]
    return result


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
    assert abs((outage.start_at - stopped).total_seconds()) <= 1.0
    assert abs((outage.end_at - restarted).total_seconds()) <= 1.0
    fig = availability(config)
    expected = int(outage.end_at.timestamp()) - int(outage.start_at.timestamp())
    assert fig["downtime_seconds"] == expected
    assert 5 <= expected <= 9


@pytest.mark.slow
def test_kill_9_during_outage_then_restart_loses_and_duplicates_nothing(tmp_path, target):
    config, port = setup(tmp_path, target)  # the target never starts: down all along
    daemon = Daemon(config, port)
    store = ledger(config)
    daemon.wait_for(lambda: any(o.end_at is None for o in store.outages(["target"])),
                    "outage open in the ledger")
    daemon.kill()
    killed = datetime.now(UTC)
    time.sleep(10)  # the scenario itself: the daemon stays dead for ten real seconds
    daemon = Daemon(config, port)
    daemon.wait_for(lambda: sum(o.end_at is None for o in store.outages(["target"])) == 1
                    and len(store.outages(["target"])) == 2, "second outage open")
    assert daemon.stop() == 0
    first, second = store.outages(["target"])
    sessions = store.sessions()
    assert len(sessions) == 2 and sessions[0]["stopped_at"] is None
    # the crash: closed at the last observation, flagged; nothing after the kill counted
    assert first.closed_unobserved and first.end_at == sessions[0]["last_seen_at"]
    assert first.end_at <= killed
    # after restart: a new outage from the first failed check of the new session
    assert second.start_at >= sessions[1]["started_at"]
    assert second.closed_unobserved and second.end_at == sessions[1]["stopped_at"]
    fig = availability(config)
    gap = int(second.start_at.timestamp()) - int(first.end_at.timestamp())
    assert gap >= 10
    counted = sum(int(o.end_at.timestamp()) - int(o.start_at.timestamp())
                  for o in (first, second) if o.end_at)
    assert fig["downtime_seconds"] == counted
    assert isinstance(fig["unmonitored_seconds"], int) and fig["unmonitored_seconds"] >= gap

"""Run a real `spbe run` in a subprocess on a config the test writes, and read its ledger."""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.request
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from spbe_monitor.config.loader import load_config
from spbe_monitor.ledger import db
from spbe_monitor.ledger.store import Store
from tests.conftest import SPBE
from tests.pg import free_port
from tests.timetravel import months_between


def http_probe(port: int, interval: str = "1s", timeout: str = "800ms", failures: int = 3
               ) -> str:
    """An inventory with one HTTP probe `target-http` of a loopback target."""
    return f"""\
probes:
  - id: target-http
    kind: http
    url: http://127.0.0.1:{port}/
    interval: {interval}
    timeout: {timeout}
    failures_to_down: {failures}
    successes_to_up: 1
"""


def tcp_probe(port: int) -> str:
    """An inventory with one TCP probe `self-tcp` (the daemon's own port, usually)."""
    return f"""\
probes:
  - id: self-tcp
    kind: tcp
    host: 127.0.0.1
    port: {port}
    interval: 1s
"""


TEKNIS = "199002102015032005"  # the Pengelola Teknis of the test service `target`


def write_config(folder: Path, port: int, probes_yaml: str, components: list[str],
                 database: str = "sqlite:///ledger.db") -> Path:
    (folder / "probes").mkdir(parents=True, exist_ok=True)
    (folder / "playbooks").mkdir(exist_ok=True)
    (folder / "probes" / "targets.yaml").write_text(probes_yaml)
    (folder / "spbe.yaml").write_text(f"""\
database: {database}
probes: probes
playbooks: playbooks
heartbeat_interval: 1s
server: {{listen: 127.0.0.1, port: {port}}}
""")
    (folder / "services.yaml").write_text("services:\n" + service_yaml("target", "Layanan Uji",
                                                                       components))
    (folder / "people.yaml").write_text(f"""\
people:
  - {{nip: "{TEKNIS}", name: Rina Marlina, position: Pranata Komputer,
     roles: [pengelola_teknis], services: [target]}}
""")
    return folder / "spbe.yaml"


def service_yaml(sid: str, name: str, components: list[str]) -> str:
    """One entry of services.yaml: a 24x7 administrative service of one agency."""
    return f"""\
  - id: {sid}
    name: {name}
    provider: Diskominfo
    technical_team: Aptika
    nature: administrasi_pemerintahan
    application_basis: khusus
    user_scope: instansi
    operating_hours: 24x7
    components: {json.dumps(components)}
"""


STARTED: list[subprocess.Popen[bytes]] = []  # killed after each test if still running


class Daemon:
    def __init__(self, config: Path, port: int, host: str = "127.0.0.1",
                 open_files: int | None = None, tls: ssl.SSLContext | None = None) -> None:
        """`open_files`: the daemon's hard and soft limit of descriptors (None: ours);
        `tls`: the client context to reach a daemon serving HTTPS."""
        self.config, self.port, self.host, self.tls = config, port, host, tls
        self.log = config.parent / "daemon.log"
        env = {k: v for k, v in os.environ.items() if k != "SPBE_DATABASE_URL"}

        def limited() -> None:
            if open_files is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))

        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen([*SPBE, "--config", str(config), "run"], stdout=out,
                                         stderr=subprocess.STDOUT, env=env,
                                         preexec_fn=limited)
        STARTED.append(self.proc)
        self.wait_for(lambda: self.status() is not None, "daemon ready")

    def status(self) -> dict[str, Any] | None:
        try:
            url = f"{self.url}/api/v1/status"
            with urllib.request.urlopen(url, timeout=1, context=self.tls) as r:
                data: dict[str, Any] = json.load(r)
                return data
        except OSError:
            return None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def service_health(self) -> str | None:
        st = self.status()
        return None if st is None else str(st["services"]["target"]["health"])

    def wait_for(self, condition: Any, what: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.proc.poll() is not None:
                raise AssertionError(f"daemon exited while waiting for {what}:\n"
                                     + self.log.read_text())
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}:\n" + self.log.read_text())
            time.sleep(0.05)

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)


def ledger(config: Path) -> Store:
    return Store(db.make_engine(load_config(config).database_url))


class Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


class Target:
    """A loopback HTTP server that can be stopped and started again on the same port."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = free_port()
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> datetime:
        self.server = ThreadingHTTPServer((self.host, self.port), Ok)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return datetime.now(UTC)

    def stop(self) -> datetime:
        """Refuse new connections at once (the listening socket shut down: the moment the
        target is down), then stop serving; returns that moment."""
        assert self.server is not None
        self.server.socket.shutdown(socket.SHUT_RDWR)
        down = datetime.now(UTC)
        self.server.shutdown()
        self.server.server_close()
        self.server = None
        return down


def figures_between(config: Path, start: datetime, end: datetime,
                    service: str = "target") -> dict[str, int]:
    """The service's downtime and unmonitored seconds over every month from `start` to
    `end`: what the CLI prints, summed, so a test crossing a month's end counts all of it."""
    total = {"downtime_seconds": 0, "unmonitored_seconds": 0}
    for month in months_between(start, end):
        out = subprocess.run([*SPBE, "--config", str(config), "availability", "--month", month,
                              "--service", service, "--json"], check=True, capture_output=True,
                             text=True).stdout
        fig = json.loads(out)[0]
        for key in total:
            total[key] += int(fig[key])
    return total

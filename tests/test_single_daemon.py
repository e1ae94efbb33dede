"""One daemon per ledger: a second `spbe run` is refused naming the holder, on SQLite and
PostgreSQL; a crashed holder leaves no stale lock."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

from tests.conftest import SPBE
from tests.daemon import Daemon, write_config
from tests.pg import free_port

PROBES = """\
probes:
  - id: self-tcp
    kind: tcp
    host: 127.0.0.1
    port: {port}
    interval: 1s
"""


def test_a_second_daemon_is_refused_and_a_crashed_one_leaves_no_lock(tmp_path: Path,
                                                                     database_url: str):
    port = free_port()
    config = write_config(tmp_path, port, PROBES.format(port=port), ["self-tcp"],
                          database_url)
    first = Daemon(config, port)
    started = time.monotonic()
    second = subprocess.run([*SPBE, "--config", str(config), "run"], capture_output=True,
                            text=True, timeout=30)
    assert time.monotonic() - started < 5
    assert second.returncode == 3, second.stderr
    assert "already used by a running daemon" in second.stderr
    assert f"host {socket.gethostname()}, pid {first.proc.pid}, since " in second.stderr
    assert "Traceback" not in second.stderr
    first.kill()
    again = Daemon(config, port)  # at once: the kernel or the server dropped the lock
    assert again.stop() == 0

"""One daemon per ledger: a second `spbe run` is refused naming the holder, on SQLite and
PostgreSQL; a crashed holder leaves no stale lock."""

from __future__ import annotations

import re
import socket
import subprocess
import time
from pathlib import Path

from tests.conftest import SPBE
from tests.daemon import Daemon, ledger, tcp_probe, write_config
from tests.pg import free_port


def test_a_second_daemon_is_refused_and_a_crashed_one_leaves_no_lock(tmp_path: Path,
                                                                     database_url: str):
    port = free_port()
    config = write_config(tmp_path, port, tcp_probe(port), ["self-tcp"],
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


def test_a_ledger_that_cannot_be_reached_at_start_is_one_line(tmp_path: Path):
    """A PostgreSQL ledger unreachable at start is refused in one line (its lock, which keeps
    one daemon per ledger, lives there). One that refuses writes only — read-only, full —
    is watched through: tests/test_ledger_faults.py."""
    port = free_port()
    config = write_config(tmp_path, port, tcp_probe(port), ["self-tcp"],
                          "postgresql+psycopg://spbe:geheim@127.0.0.1:1/ledger")
    down = subprocess.run([*SPBE, "--config", str(config), "run"], capture_output=True,
                          text=True, timeout=60)
    assert down.returncode == 1
    assert down.stderr.strip().splitlines() == [
        'error: the ledger database: connection failed: connection to server at '
        '"127.0.0.1", port 1 failed: Connection refused']


def test_a_second_daemon_through_a_symlink_is_refused_before_it_writes(tmp_path: Path):
    """Issue 29, item 7: the lock was named from the unresolved path, so a second daemon
    reaching the same SQLite ledger through a symlink ran and closed a real outage early."""
    port = free_port()
    config = write_config(tmp_path / "a", port, tcp_probe(port), ["self-tcp"],
                          f"sqlite:///{tmp_path / 'a' / 'ledger.db'}")
    first = Daemon(config, port)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "same.db").symlink_to(tmp_path / "a" / "ledger.db")
    other_port = free_port()
    other = write_config(tmp_path / "b", other_port, tcp_probe(other_port), ["self-tcp"],
                         f"sqlite:///{tmp_path / 'elsewhere' / 'same.db'}")
    started = time.monotonic()
    second = subprocess.run([*SPBE, "--config", str(other), "run"], capture_output=True,
                            text=True, timeout=30)
    assert second.returncode == 3 and "already used by a running daemon" in second.stderr
    assert re.search(r"since \d\d/\d\d/\d{4} \d\d\.\d\d\.\d\d WIB\)", second.stderr)
    assert time.monotonic() - started < 5  # (its startup, then the refusal)
    assert first.proc.poll() is None
    assert first.stop() == 0
    assert len(ledger(config).sessions()) == 1  # the second never opened a session

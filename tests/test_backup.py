"""The monitor's own disaster (issue 30, item 10): a verified copy of the SQLite ledger taken
while the daemon writes, restored on another ledger path, where the history verifies and a
past month's Formulir F comes out byte for byte as from the original."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.conftest import SPBE
from tests.daemon import TEKNIS, Daemon, Target, http_probe, write_config
from tests.pg import free_port
from tests.timetravel import WIB, previous_month_start


def spbe(config: Path, *args: str, ledger: Path | None = None, token: str | None = None
         ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SPBE_DIRECT": "1", **({"SPBE_TOKEN": token} if token else {})}
    if ledger is not None:
        env["SPBE_DATABASE_URL"] = f"sqlite:///{ledger}"
    return subprocess.run([*SPBE, "--config", str(config), *args], capture_output=True,
                          text=True, env=env, timeout=300)


def test_a_backup_taken_while_the_daemon_writes_restores_to_the_same_evidence(
        tmp_path: Path, target: Target) -> None:
    target.start()
    port = free_port()
    config = write_config(tmp_path / "site", port, http_probe(target.port), ["target-http"])
    config.write_text(config.read_text() + "admins: [root]\n")
    month = previous_month_start(datetime.now(UTC)).astimezone(WIB)
    start = month + timedelta(days=2, hours=9)
    daemon = Daemon(config, port)
    try:
        token = spbe(config, "token", "issue", TEKNIS).stdout.strip()
        added = spbe(config, "downtime", "add", "target", "--start", start.isoformat(),
                     "--end", (start + timedelta(minutes=45)).isoformat(), "--cause",
                     "Listrik padam di ruang server", token=token)
        assert added.returncode == 0, added.stderr
        period = f"{month:%Y-%m}"
        first = spbe(config, "report", "formulir-f", "--month", period, "--format",
                     "json,html", "--out", str(tmp_path / "asli"))
        assert first.returncode == 0, first.stderr
        taken = spbe(config, "db", "backup", "--to", str(tmp_path / "cadangan"))  # live
        assert taken.returncode == 0, taken.stderr
        assert "verified" in taken.stdout
    finally:
        assert daemon.stop() == 0
    [copy] = (tmp_path / "cadangan").glob("spbe-ledger-*.db")
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert stat.S_IMODE(copy.parent.stat().st_mode) == 0o700

    restored = tmp_path / "mesin-baru" / "ledger.db"
    back = spbe(config, "db", "restore", str(copy), ledger=restored)
    assert back.returncode == 0, back.stderr
    again = spbe(config, "db", "restore", str(copy), ledger=restored)
    assert again.returncode == 2 and "exists" in again.stderr  # never over a ledger
    verified = spbe(config, "audit", "verify", ledger=restored)
    assert verified.returncode == 0, verified.stderr
    remade = spbe(config, "report", "formulir-f", "--month", period, "--format", "json,html",
                  "--out", str(tmp_path / "pulih"), ledger=restored)
    assert remade.returncode == 0, remade.stderr
    original = {p.name: p.read_bytes() for p in (tmp_path / "asli" / period).iterdir()}
    assert original and original == {
        p.name: p.read_bytes() for p in (tmp_path / "pulih" / period).iterdir()}


def test_a_copy_that_does_not_verify_is_never_restored(tmp_path: Path, target: Target) -> None:
    target.start()
    port = free_port()
    config = write_config(tmp_path / "site", port, http_probe(target.port), ["target-http"])
    config.write_text(config.read_text() + "admins: [root]\n")
    assert spbe(config, "token", "issue", TEKNIS).returncode == 0
    assert spbe(config, "audit", "checkpoint").returncode == 0
    assert spbe(config, "db", "backup", "--to", str(tmp_path / "b")).returncode == 0
    [copy] = (tmp_path / "b").glob("spbe-ledger-*.db")
    with sqlite3.connect(copy) as conn:  # a copy altered where it was kept
        conn.execute("UPDATE audit_log SET actor = 'orang-lain' WHERE id = 1")
    refused = spbe(config, "db", "restore", str(copy), ledger=tmp_path / "new" / "l.db")
    assert refused.returncode == 1 and "does not verify" in refused.stderr
    assert not (tmp_path / "new" / "l.db").exists()

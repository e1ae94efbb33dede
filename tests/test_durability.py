"""Nothing is lost: kill -9 during a burst of `spbe downtime add`, and the daemon's
shutdown mark versus a crash."""

import os
import random
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import text

from spbe_monitor.ledger import db
from spbe_monitor.ledger.store import Store
from tests.cli_helpers import token_for
from tests.conftest import SPBE
from tests.daemon import Daemon, ledger
from tests.pg import free_port

TEKNIS = "199002102015032005"  # Pengelola Teknis of perizinan-online


def env_for(database_url: str) -> dict[str, str]:
    return {**os.environ, "SPBE_DATABASE_URL": database_url}


@pytest.mark.slow
def test_kill_9_during_burst_of_downtime_add_loses_no_acknowledged_entry(
        config_dir: Path, database_url: str):
    cfg = str(config_dir / "spbe.yaml")
    env = {**env_for(database_url),
           "SPBE_TOKEN": token_for(config_dir / "spbe.yaml", TEKNIS, database_url)}
    rng = random.Random(7)
    procs: dict[str, subprocess.Popen[bytes]] = {}
    killed = 0
    for i in range(36):
        day = 1 + i % 27
        cause = f"burst-{i}"
        procs[cause] = subprocess.Popen(
            [*SPBE, "--config", cfg, "downtime", "add", "perizinan-online",
             "--start", f"2026-10-{day:02d}T01:00", "--end", f"2026-10-{day:02d}T02:00",
             "--cause", cause], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if i % 3 == 2:  # kill one of the running ones at a random moment
            time.sleep(rng.uniform(0.0, 0.6))
            victim = procs[f"burst-{rng.randrange(i + 1)}"]
            if victim.poll() is None:
                victim.send_signal(signal.SIGKILL)
                killed += 1
    codes = {cause: p.wait(timeout=120) for cause, p in procs.items()}
    engine = db.make_engine(database_url)
    store = Store(engine)
    stored = [o.cause for o in store.outages()]
    acknowledged = {c for c, code in codes.items() if code == 0}
    assert killed > 0 and len(acknowledged) > 0
    assert acknowledged <= set(stored)
    assert len(stored) == len(set(stored))  # nothing written twice
    # each outage and its audit record were written in one transaction: all or nothing
    audited = {e.subject for e in store.audit_entries()
               if e.action == "downtime.add" and e.outcome == "done"}
    assert audited == {f"outage:{o.id}" for o in store.outages()}
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    engine.dispose()


def start_daemon(config_dir: Path, port: int) -> Daemon:
    """The bundled example config on its own port, with a heartbeat every second."""
    settings = config_dir / "spbe.yaml"
    for path in [settings, *(config_dir.parent / "probes").glob("*.yaml")]:
        path.write_text(path.read_text().replace("9740", str(port)))
    return Daemon(settings, port)


def wait_for_heartbeat(daemon: Daemon) -> None:
    """Until the running daemon has recorded a heartbeat after its start."""
    store = ledger(daemon.config)

    def beaten() -> bool:
        sessions = store.sessions()
        return bool(sessions) and sessions[-1]["last_seen_at"] > sessions[-1]["started_at"]
    daemon.wait_for(beaten, "a heartbeat")


def test_daemon_serves_health_and_writes_shutdown_mark_on_sigterm(config_dir: Path):
    port = free_port()
    daemon = start_daemon(config_dir, port)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/healthy", timeout=2) as r:
        assert b"healthy" in r.read()
    wait_for_heartbeat(daemon)
    # the bundled example's own probes find the daemon and the local disk healthy
    daemon.wait_for(lambda: (daemon.status() or {})["services"]["perizinan-online"]["health"]
                    == "up", "the example service up")
    assert daemon.stop() == 0
    [session] = ledger(daemon.config).sessions()
    assert session["stopped_at"] is not None
    assert session["stopped_at"] == session["last_seen_at"] > session["started_at"]


def test_crash_leaves_an_open_session_and_the_gap_is_unmonitored(config_dir: Path):
    port = free_port()
    daemon = start_daemon(config_dir, port)
    wait_for_heartbeat(daemon)
    daemon.kill()
    daemon = Daemon(daemon.config, port)
    assert daemon.stop() == 0
    store = ledger(daemon.config)
    first, second = store.sessions()
    assert first["stopped_at"] is None  # the crash: no shutdown mark
    assert second["stopped_at"] is not None
    gap = (second["started_at"] - first["last_seen_at"]).total_seconds()
    assert gap > 0
    observed = store.observed(first["started_at"], second["stopped_at"])
    covered = sum(b - a for a, b in observed)
    span = (second["stopped_at"] - first["started_at"]).total_seconds()
    assert covered == pytest.approx(span - gap, abs=2)

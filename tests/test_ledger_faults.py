"""End to end, a real daemon whose ledger refuses writes for a minute while its target goes
down and up twice: afterwards the ledger holds the true outages, once each."""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import need_postgres
from tests.daemon import Daemon, Target, http_probe, ledger, write_config
from tests.faults import immutable, small_disk
from tests.pg import PgCluster, create_database, free_port, pg_bindir

FAULT_SECONDS = 60
Fault = Callable[[], AbstractContextManager[None]]  # while entered, the ledger refuses writes


class Watcher:
    """Polls /-/ready and /metrics while the fault lasts: what an operator would see."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.not_ready: list[str] = []
        self.max_pending = 0.0
        self.status_reasons: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        base = f"http://127.0.0.1:{self.port}"
        while not self._stop.wait(0.5):
            try:
                urllib.request.urlopen(f"{base}/-/ready", timeout=2).close()
            except urllib.error.HTTPError as exc:
                self.not_ready.append(f"{exc.code} {exc.read().decode().strip()}")
            except OSError:
                pass
            try:
                with urllib.request.urlopen(f"{base}/api/v1/status", timeout=2) as r:
                    ledger = json.load(r)["ledger"]
                if ledger["pending_writes"]:
                    self.status_reasons.add(ledger["reason"])
            except OSError:
                pass
            try:
                with urllib.request.urlopen(f"{base}/metrics", timeout=2) as r:
                    for line in r.read().decode().splitlines():
                        if line.startswith("spbe_ledger_pending_writes "):
                            self.max_pending = max(self.max_pending, float(line.split()[1]))
            except OSError:
                pass

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def ready(port: int) -> bool:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=2).close()
        return True
    except OSError:
        return False


@contextmanager
def sqlite_backend(tmp_path: Path) -> Iterator[tuple[str, Fault]]:
    yield "sqlite:///ledger.db", lambda: immutable(tmp_path / "ledger.db")


@contextmanager
def postgres_backend(_: Path) -> Iterator[tuple[str, Fault]]:
    need_postgres()
    bindir = pg_bindir()
    assert bindir is not None
    cluster = PgCluster(bindir)
    cluster.start()

    @contextmanager
    def stopped() -> Iterator[None]:
        cluster.stop()
        try:
            yield
        finally:
            cluster.start()

    try:
        yield create_database(cluster.url, "ledger"), stopped
    finally:
        cluster.remove()


@pytest.mark.slow
@pytest.mark.parametrize("backend", [sqlite_backend, pytest.param(
    postgres_backend, marks=pytest.mark.postgres, id="postgresql")], ids=["sqlite", "postgresql"])
def test_a_minute_of_refused_writes_loses_no_outage(tmp_path: Path, target: Target,
                                                    backend) -> None:
    with backend(tmp_path) as (database, fault):
        port = free_port()
        config = write_config(tmp_path, port, http_probe(target.port), ["target-http"],
                              database)
        target.start()
        daemon = Daemon(config, port)
        daemon.wait_for(lambda: daemon.service_health() == "up", "service up")
        daemon.wait_for(lambda: ready(port), "ready")
        truth: list[tuple[datetime, datetime]] = []
        watcher = Watcher(port)
        with fault():
            began = time.monotonic()
            for _ in range(2):
                time.sleep(5)
                down = target.stop()
                daemon.wait_for(lambda: daemon.service_health() == "down", "service down")
                time.sleep(8)
                truth.append((down, target.start()))
                daemon.wait_for(lambda: daemon.service_health() == "up", "service up")
            time.sleep(max(0.0, FAULT_SECONDS - (time.monotonic() - began)))
        daemon.wait_for(lambda: ready(port), "ready again after the fault", timeout=60)
        watcher.stop()
        assert daemon.stop() == 0
        log = daemon.log.read_text()
        store = ledger(config)
        outages = store.outages(["target"])
        assert len(outages) == 2, outages
        for o, (down, up) in zip(outages, truth, strict=True):
            assert o.end_at is not None and not o.closed_unobserved and not o.gaps
            assert abs((o.start_at - down).total_seconds()) <= 1.0
            assert abs((o.end_at - up).total_seconds()) <= 1.0
        moves = [(t["subject_id"], t["at"], t["new"]) for t in store.transitions()]
        assert len(moves) == len(set(moves)) and len(moves) >= 8  # nothing written twice
        assert watcher.not_ready and "ledger writes pending since" in watcher.not_ready[-1]
        assert watcher.max_pending > 0
        assert any(r.startswith("database refused writes: ") for r in watcher.status_reasons)
        assert "Traceback" not in log
        assert log.count("database refused writes") <= 2  # once a minute, not per attempt
        store.engine.dispose()


def not_ready_because(port: int) -> str | None:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=2).close()
        return None
    except urllib.error.HTTPError as exc:
        return str(exc.read().decode())
    except OSError:
        return None


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["read-only", "full"])
def test_a_daemon_started_while_the_ledger_refuses_writes_watches_and_spools(
        tmp_path: Path, target: Target, fault: str) -> None:
    """Issue 31, item 6: a restart while the ledger was read-only exited 1 — nothing
    watched until someone noticed. Now it starts, watches and spools (not ready, with the
    reason), and once the ledger accepts writes the outage it saw and its own session (from
    its start: that time was observed) are in the ledger. Read-only: the file immutable
    (chattr +i); full: the ledger's own filesystem (a 4 MB tmpfs) filled to the last byte."""
    with contextlib.ExitStack() as stack:
        folder = tmp_path / "ledger-disk"
        if fault == "full":
            stack.enter_context(small_disk(folder, "4m"))
        else:
            folder.mkdir()
        port = free_port()
        config = write_config(tmp_path / "cfg", port, http_probe(target.port),
                              ["target-http"], f"sqlite:///{folder / 'ledger.db'}")
        target.start()
        first = Daemon(config, port)  # the ledger exists, as on any restart
        first.wait_for(lambda: ready(port), "ready")
        assert first.stop() == 0
        store = ledger(config)
        ever = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
        sessions_before = len(store.observed(*ever))
        refusing = immutable(folder / "ledger.db") if fault == "read-only" else filled(folder)
        with refusing:
            started = datetime.now(UTC)
            daemon = Daemon(config, port)
            daemon.wait_for(lambda: daemon.service_health() == "up",
                            "watching without a ledger")
            reason = not_ready_because(port)
            assert reason is not None and "ledger writes pending" in reason, reason
            down = target.stop()
            daemon.wait_for(lambda: daemon.service_health() == "down", "the outage seen")
            time.sleep(3)
            up = target.start()
            daemon.wait_for(lambda: daemon.service_health() == "up", "the recovery seen")
        daemon.wait_for(lambda: ready(port), "ready once the ledger accepts writes",
                        timeout=60)
        assert daemon.stop() == 0
        [outage] = store.outages(["target"])
        assert outage.end_at is not None and not outage.closed_unobserved
        assert abs((outage.start_at - down).total_seconds()) <= 1.0
        assert abs((outage.end_at - up).total_seconds()) <= 1.0
        spans = store.observed(*ever)
        assert len(spans) == sessions_before + 1
        assert abs(max(spans)[0] - started.timestamp()) <= 5  # observed from its start
        log = daemon.log.read_text()
        assert "Traceback" not in log
        # its log lines are stamped in the configured zone, whatever the host's TZ
        assert re.search(r"^\d{4}-\d\d-\d\d \d\d\.\d\d\.\d\d WIB ERROR spbe\.app the "
                         r"ledger does not accept writes", log, re.M), log
        store.engine.dispose()


@contextmanager
def filled(folder: Path) -> Iterator[None]:
    """The filesystem under `folder` full to the last byte, until the filler is removed."""
    filler = folder / "filler"
    with contextlib.suppress(OSError), open(filler, "wb") as out:
        while True:
            out.write(b"\0" * 4096)
            out.flush()
    try:
        yield
    finally:
        filler.unlink()

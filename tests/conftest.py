from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings

from spbe_monitor.ledger import db
from spbe_monitor.ledger.store import Store
from tests.pg import create_database, drop_database, pg_bindir, postgres_cluster
from tests.timetravel import INSTANTS, SWEEP, travel

if TYPE_CHECKING:
    from spbe_monitor.config.loader import Config
    from tests.daemon import Target

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = ROOT / "config"
IN_CI = os.environ.get("CI") == "true"

# A busy machine is normal where agencies run this: no per-example deadline in CI (an
# example's speed is the machine's, not the code's); the example counts stay as written.
settings.register_profile("ci", deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if IN_CI else "dev"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Under SPBE_DATE_SWEEP=1 each `date_sweep` test runs once per instant."""
    if SWEEP and metafunc.definition.get_closest_marker("date_sweep"):
        metafunc.parametrize("sweep_at", list(INSTANTS), indirect=True)


@pytest.fixture(autouse=True)
def sweep_at(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """The instant this test runs at (None: the machine's own clock)."""
    name: str | None = getattr(request, "param", None)
    if name is None:
        yield None
        return
    with travel(INSTANTS[name]):
        yield name


@dataclass
class FakeClock:
    """An injected clock: tests move time explicitly instead of sleeping."""

    current: datetime = field(default_factory=lambda: datetime(2026, 11, 28, 3, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def monotonic(self) -> float:
        return self.current.timestamp()

    async def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def no_daemon_left_behind() -> Iterator[None]:
    """A test that fails before stopping its `spbe run` (or a DRP runner) must not leave it
    running."""
    from tests.daemon import STARTED

    yield
    while STARTED:
        proc = STARTED.pop()
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def need_postgres() -> None:
    if pg_bindir() is None:
        if IN_CI:
            pytest.fail("PostgreSQL binaries missing under CI=true: scripts/test installs them")
        pytest.skip("PostgreSQL not installed (apt-get install postgresql)")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    need_postgres()
    bindir = pg_bindir()
    assert bindir is not None
    with postgres_cluster(bindir) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Every store test runs against SQLite and a real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = create_database(server, name)
    yield url
    drop_database(server, name)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    yield Store(engine)
    engine.dispose()


@pytest.fixture
def configured(config_dir: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
               ) -> Iterator[tuple[Config, Store]]:
    """The bundled example config on a ledger of each kind (SQLite, PostgreSQL)."""
    from spbe_monitor.config.loader import load_config

    monkeypatch.setenv("SPBE_DATABASE_URL", database_url)
    config = load_config(config_dir / "spbe.yaml")
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    yield config, Store(engine)
    engine.dispose()


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A private copy of the bundled example config (with its playbooks), ledger in tmp."""
    dest = tmp_path / "cfg"
    shutil.copytree(EXAMPLE_CONFIG, dest / "config")
    shutil.copytree(ROOT / "drp_playbooks", dest / "drp_playbooks")
    shutil.copytree(ROOT / "probes", dest / "probes")
    (dest / "var").mkdir()
    return dest / "config"


SPBE = [sys.executable, "-m", "spbe_monitor"]


@pytest.fixture
def target() -> Iterator[Target]:
    """A loopback HTTP target the test stops and starts; stopped after the test."""
    from tests.daemon import Target

    t = Target()
    yield t
    if t.server is not None:
        t.stop()

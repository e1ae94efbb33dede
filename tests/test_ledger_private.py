"""The SQLite ledger is its owner's alone (issue 29, item 4): before, it was created 0644
and any shell user read every TOTP secret in it. Tried as another OS user (`nobody`)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from spbe_monitor.ledger import db
from spbe_monitor.ledger.store import Store
from tests.conftest import IN_CI


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A folder anyone may enter (pytest's own tmp is 0700, which would hide the file)."""
    folder = Path(tempfile.mkdtemp(prefix="spbe-ledger-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def as_nobody_can_read(path: Path) -> bool:
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        if IN_CI:
            pytest.fail("this test runs as root under CI (runuser switches to nobody)")
        pytest.skip("needs root to act as another OS user")
    r = subprocess.run(["runuser", "-u", "nobody", "--", "head", "-c", "1", str(path)],
                       capture_output=True, text=True)
    assert r.returncode == 0 or "Permission denied" in r.stderr, r.stderr
    return r.returncode == 0


def test_a_new_ledger_and_its_folder_are_the_owners_only(open_folder: Path):
    ledger = open_folder / "var" / "spbe.db"
    engine = db.make_engine(f"sqlite:///{ledger}")
    db.upgrade(engine)
    Store(engine).add_token("199002102015032005", "0" * 64, "test", datetime.now(UTC))
    assert mode(ledger.parent) == 0o700 and mode(ledger) == 0o600
    assert mode(ledger.with_name("spbe.db-wal")) == 0o600
    ledger.parent.chmod(0o755)  # even with the folder open, the file stays closed
    assert not as_nobody_can_read(ledger)
    engine.dispose()


def test_an_existing_ledger_left_readable_is_closed(open_folder: Path):
    ledger = open_folder / "spbe.db"
    ledger.touch(mode=0o644)
    ledger.chmod(0o644)
    assert as_nobody_can_read(ledger)  # the state an older version left
    db.make_engine(f"sqlite:///{ledger}").dispose()
    assert mode(ledger) == 0o600 and not as_nobody_can_read(ledger)

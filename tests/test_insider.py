"""An insider on the monitoring server (issue 29), tried as a real OS user made for the test
(useradd): an official who may run `spbe` but is neither the daemon's user nor an
administrator. Their acts go through the daemon with their token; the ledger and the key
folder stay closed to them, and the environment does not make them an administrator."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sysconfig
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from spbe_monitor.config.loader import load_config
from spbe_monitor.ledger import db
from spbe_monitor.ledger.store import Store
from spbe_monitor.ledger.tables import audit_checkpoints
from tests.cli_helpers import token_for
from tests.conftest import IN_CI
from tests.example_daemon import running_example

TEKNIS = "199002102015032005"  # the example's Pengelola Teknis
# run our package with Debian's interpreter: ours may sit in root's 0700 home (pyenv)
LAUNCH = ("import site, sys; site.addsitedir(sys.argv.pop(1)); "
          "from spbe_monitor.cli import main; sys.argv[0] = 'spbe'; main()")


@pytest.fixture
def official() -> Iterator[str]:
    """A fresh OS user with a home, removed afterwards."""
    if os.geteuid() != 0 or not shutil.which("useradd"):
        if IN_CI:
            pytest.fail("this test runs as root under CI (it makes an OS user)")
        pytest.skip("needs root to make an OS user")
    name = f"pejabat{secrets.token_hex(3)}"
    subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["userdel", "--remove", name], capture_output=True)


@pytest.fixture
def example() -> Iterator[tuple[Path, int]]:
    """The example's daemon (as root, like a service user) in a folder officials can enter."""
    root = Path(tempfile.mkdtemp(prefix="spbe-insider-"))
    root.chmod(0o755)
    try:
        with running_example(root) as port:
            yield root, port
    finally:
        shutil.rmtree(root)


def as_user(user: str, root: Path, *args: str, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", "--",
         "env", "-i", f"HOME=/home/{user}", "PATH=/usr/bin:/bin", *[
             f"{k}={v}" for k, v in (env or {}).items()],
         "/usr/bin/python3", "-c", LAUNCH, sysconfig.get_paths()["purelib"],
         "--config", str(root / "config" / "spbe.yaml"), *args],
        capture_output=True, text=True, cwd="/", timeout=120)


def signed_up_to(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.max(audit_checkpoints.c.entry_id))).scalar() or 0)


def test_an_officials_cli_act_goes_through_the_daemon_and_needs_their_token(
        official: str, example: tuple[Path, int]) -> None:
    root, _ = example
    config = root / "config" / "spbe.yaml"
    ledger = Path(load_config(config).database_url.removeprefix("sqlite:///"))
    keys = load_config(config).audit_key_path.parent
    for closed in (ledger, keys / "signing.key", keys / "totp.key", keys / "witness.jsonl"):
        looked = subprocess.run(["setpriv", f"--reuid={official}", f"--regid={official}",
                                 "--init-groups", "--", "head", "-c", "1", str(closed)],
                                capture_output=True, text=True)
        assert looked.returncode != 0 and "Permission denied" in looked.stderr, closed
    act = ("downtime", "add", "persuratan-online", "--start", "2026-11-20T08:00", "--end",
           "2026-11-20T08:30", "--cause", "Dilaporkan pengguna lewat telepon")
    refused = as_user(official, root, *act)
    assert refused.returncode == 3, refused.stderr
    assert "token" in refused.stderr and "Traceback" not in refused.stderr
    token = token_for(config, TEKNIS)
    done = as_user(official, root, *act, env={"SPBE_TOKEN": token})
    assert done.returncode == 0, done.stderr
    assert "recorded" in done.stdout
    store = Store(db.make_engine(load_config(config).database_url))
    [entry] = [e for e in store.audit_entries() if e.action == "downtime.add"]
    assert entry.actor == TEKNIS  # the person, acting through the daemon
    # signed at once, not within the minute: a deleted tail could not hide this act
    deadline = time.monotonic() + 10
    while signed_up_to(store) < entry.id:
        assert time.monotonic() < deadline, "the act was not signed within 10 s"
        time.sleep(0.1)
    listed = as_user(official, root, "downtime", "list", "--json", env={"SPBE_TOKEN": token})
    assert listed.returncode == 0, listed.stderr
    assert [o["cause"] for o in json.loads(listed.stdout)] == [
        "Dilaporkan pengguna lewat telepon"]


def test_the_environment_does_not_make_an_official_an_administrator(
        official: str, example: tuple[Path, int]) -> None:
    """Issue 29, item 1: `LOGNAME=root spbe token issue` minted a working token."""
    root, _ = example
    config = root / "config" / "spbe.yaml"
    store = Store(db.make_engine(load_config(config).database_url))
    before = len(store.tokens())
    for act in (("token", "issue", TEKNIS), ("token", "revoke", TEKNIS),
                ("totp", "reset", TEKNIS), ("keys", "rotate")):
        tried = as_user(official, root, *act,
                        env={"LOGNAME": "root", "USER": "root", "SUDO_USER": "root"})
        assert tried.returncode == 3, (act, tried.stdout, tried.stderr)
        assert "open to the daemon's user and the administrators only" in tried.stderr
    assert len(store.tokens()) == before

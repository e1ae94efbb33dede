"""The light commands read through the running daemon (no pydantic, no SQLAlchemy: what
makes them fast) and print exactly what they print when they read the ledger themselves;
a daemon on another ledger is never believed; the daemon's refusals are the command's."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from spbe_monitor.cli.base import COMMAND_MODULES, cli
from tests.cli_helpers import token_for
from tests.conftest import SPBE
from tests.example_daemon import running_example

TEKNIS = "199002102015032005"  # the example's Pengelola Teknis
READERS = [
    ["downtime", "list"], ["downtime", "list", "--json"],
    ["downtime", "list", "--service", "persuratan-online"],
    ["maintenance", "list"], ["maintenance", "list", "--json"],
    ["availability", "--month", "2026-10"], ["availability", "--month", "2026-10", "--json"],
    ["availability", "--month", "2026-10", "--service", "perizinan-online"],
    ["drp", "list"], ["drp", "list", "--json"],
]


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The bundled example with its daemon running, an outage and a window in its ledger."""
    root = tmp_path_factory.mktemp("example")
    with running_example(root):
        token = token_for(root / "config" / "spbe.yaml", TEKNIS)
        LOGGED_IN[root] = token  # reads through the daemon present it, as after `spbe login`
        for args in (["downtime", "add", "persuratan-online", "--start", "2026-10-05T08:00",
                      "--end", "2026-10-05T09:30", "--cause", "listrik padam"],
                     ["maintenance", "add", "perizinan-online", "--start", "2030-01-05T01:00",
                      "--end", "2030-01-05T03:00", "--reason", "patch bulanan"]):
            done = spbe(root, args, token=token)
            assert done.returncode == 0, done.stderr
        yield root


LOGGED_IN: dict[Path, str] = {}


def spbe(root: Path, args: list[str], direct: bool = False, token: str | None = None,
         python: list[str] = SPBE, anonymous: bool = False
         ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("SPBE_CONFIG", "SPBE_DATABASE_URL", "SPBE_DIRECT", "SPBE_TOKEN")}
    env |= {"SPBE_DIRECT": "1"} if direct else {}
    token = None if anonymous else token or LOGGED_IN.get(root)
    env |= {"SPBE_TOKEN": token} if token else {"XDG_CONFIG_HOME": str(root / "nobody")}
    return subprocess.run([*python, *args], cwd=root, env=env, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize("args", READERS, ids=" ".join)
def test_a_read_through_the_daemon_prints_what_the_ledger_says(example: Path, args: list[str]):
    through = spbe(example, args)
    direct = spbe(example, args, direct=True)
    assert through.returncode == direct.returncode == 0, through.stderr + direct.stderr
    assert through.stdout == direct.stdout
    assert "listrik padam" in spbe(example, ["downtime", "list"]).stdout


def test_through_the_daemon_neither_pydantic_nor_sqlalchemy_is_loaded(example: Path):
    timed = [sys.executable, "-X", "importtime", "-m", "spbe_monitor"]
    through = spbe(example, ["downtime", "list"], python=timed)
    assert through.returncode == 0 and "listrik padam" in through.stdout
    assert "sqlalchemy" not in through.stderr and "pydantic" not in through.stderr
    direct = spbe(example, ["downtime", "list"], direct=True, python=timed)
    assert "sqlalchemy" in direct.stderr  # the same command without a daemon reads itself
    # without a token the daemon does not answer a read (it carries NIPs and causes): the
    # command reads the ledger itself, which only its owner and administrators can
    anonymous = spbe(example, ["downtime", "list"], python=timed, anonymous=True)
    assert anonymous.returncode == 0 and "sqlalchemy" in anonymous.stderr


@pytest.mark.parametrize(("args", "reason"), [
    (["availability", "--month", "2026-13"], "malformed month '2026-13'"),
    (["downtime", "list", "--service", "nope"], "unknown service 'nope'"),
    (["drp", "status", "99"], "no DRP run 99"),
], ids=["bad-month", "unknown-service", "no-run"])
def test_the_daemons_refusal_is_the_commands(example: Path, args: list[str], reason: str):
    through = spbe(example, args)
    assert through.returncode == 2 and reason in through.stderr
    assert "Traceback" not in through.stderr
    assert spbe(example, args, direct=True).stderr == through.stderr


def test_a_daemon_on_another_ledger_is_not_believed(example: Path, tmp_path: Path):
    """Same port, other database: the command reads its own (empty) ledger."""
    other = tmp_path / "config"
    other.mkdir()
    for path in (example / "config").iterdir():
        if path.is_file():
            (other / path.name).write_text(path.read_text())
    settings = other / "spbe.yaml"
    settings.write_text(settings.read_text().replace("sqlite:///../var/spbe.db",
                                                     f"sqlite:///{tmp_path}/other.db"))
    (tmp_path / "probes").symlink_to(example / "probes")
    (tmp_path / "drp_playbooks").symlink_to(example / "drp_playbooks")
    (tmp_path / "var").mkdir()
    assert spbe(tmp_path, ["db", "upgrade"]).returncode == 0
    mine = spbe(tmp_path, ["downtime", "list", "--json"])
    assert mine.returncode == 0 and mine.stdout.strip() == "[]"
    assert "listrik padam" in spbe(example, ["downtime", "list", "--json"]).stdout
    refused = spbe(tmp_path, ["status"])
    assert refused.returncode == 1 and "no daemon answering" in refused.stderr


def test_status_reads_the_daemon_in_the_configured_zone(example: Path):
    shown = spbe(example, ["status"])
    assert shown.returncode == 0, shown.stderr
    assert "Since (WIB)" in shown.stdout and "persuratan-online" in shown.stdout


def test_every_command_is_in_the_table_of_modules():
    """The lazy group finds each command through COMMAND_MODULES: a command added without a
    line there would vanish from `spbe`."""
    import importlib
    import pkgutil

    import spbe_monitor.cli as package

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"spbe_monitor.cli.{info.name}")
    defined = {name: sys.modules[c.callback.__module__].__name__.rsplit(".", 1)[1]
               for name, c in cli.commands.items() if c.callback}
    assert defined == COMMAND_MODULES

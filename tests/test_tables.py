"""Every table the CLI prints, at an 80-column terminal: no line wider than 80 and no figure
cut (each number, id and time the table shows appears whole); times in the configured zone;
and plain tab-separated lines when the output is not a terminal."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from spbe_monitor.api.tokens import new_token
from spbe_monitor.cli import base
from spbe_monitor.config.loader import load_config
from spbe_monitor.ledger import db
from spbe_monitor.ledger.store import Store
from tests.cli_helpers import spbe

START = datetime(2026, 10, 7, 23, 39, 21, tzinfo=UTC)  # 8 Oct 06.39.21 WIB


@pytest.fixture
def filled(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("SPBE_DATABASE_URL", raising=False)
    engine = db.make_engine(load_config(config_dir / "spbe.yaml").database_url)
    db.upgrade(engine)
    store = Store(engine)
    for i, sid in enumerate(("perizinan-online", "persuratan-online", "simpeg-internal")):
        start = START + timedelta(days=i, minutes=i)
        store.add_manual_outage(sid, start, start + timedelta(hours=2, seconds=17), "mayor",
                                "P1", "Server aplikasi hang karena memori habis", "t",
                                start + timedelta(hours=3))
    store.add_maintenance(["perizinan-online", "persuratan-online"], START,
                          START + timedelta(hours=2), "FREQ=WEEKLY;BYDAY=SU", "Asia/Jakarta",
                          "Pembaruan sistem operasi dan patch keamanan", "t",
                          START - timedelta(days=2))
    store.add_token("199002102015032005", new_token()[1], "os:root", START,
                    START + timedelta(days=90))
    return config_dir


COMMANDS = [
    (["availability", "--month", "2026-10"], lambda r: [
        r["service"], "-" if r["availability_percent"] is None  # nobody watched it
        else f"{r['availability_percent']:.4f}", str(r["commitment_seconds"]),
        str(r["downtime_seconds"])]),
    (["downtime", "list"], lambda r: [str(r["id"]), r["service_id"], r["priority"]]),
    (["maintenance", "list"], lambda r: [str(r["id"])]),
    (["token", "list"], lambda r: [str(r["id"]), r["nip"], r["sha256_prefix"][:12]]),
]


@pytest.mark.parametrize(("command", "figures"), COMMANDS,
                         ids=[" ".join(command) for command, _ in COMMANDS])
def test_tables_fit_80_columns_without_cutting_a_figure(filled, capsys, monkeypatch,
                                                        command, figures):
    args = ("--config", str(filled / "spbe.yaml"), *command)
    as_json = spbe(capsys, *args, "--json")
    assert as_json.code == 0, as_json.err
    rows = json.loads(as_json.out)
    assert rows
    monkeypatch.setattr(base, "at_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "80")
    table = spbe(capsys, *args)
    assert table.code == 0, table.err
    lines = table.out.splitlines()
    assert max(len(line) for line in lines) <= 80, table.out
    assert "…" not in table.out
    for row in rows:
        for figure in figures(row):
            assert figure in table.out, (figure, table.out)


def test_times_are_in_the_configured_zone(filled, capsys, monkeypatch):
    monkeypatch.setattr(base, "at_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "80")
    out = spbe(capsys, "--config", str(filled / "spbe.yaml"), "downtime", "list").out
    assert "Start (WIB)" in out and "08/10/2026 06.39.21" in out
    assert "08/10/2026 08.39.38" in out  # two hours and 17 seconds later
    out = spbe(capsys, "--config", str(filled / "spbe.yaml"), "maintenance", "list").out
    assert "08/10/2026 06.39" in out and "+00:00" not in out


def test_piped_output_is_tab_separated(filled, capsys):
    out = spbe(capsys, "--config", str(filled / "spbe.yaml"), "downtime", "list").out
    header, *rows = out.splitlines()
    assert header.split("\t") == ["ID", "Service", "Start (WIB)", "End (WIB)", "Prio", "Cause"]
    assert len(rows) == 3 and all(len(r.split("\t")) == 6 for r in rows)
    assert rows[0].split("\t")[5] == "Server aplikasi hang karena memori habis"


@pytest.mark.parametrize("command", [
    ["availability", "--month", "2026-10"], ["downtime", "list"], ["maintenance", "list"],
    ["token", "list"], ["audit", "list", "--service", "perizinan-online"], ["drp", "list"],
    ["drp", "plan", "perizinan-online"], ["check-config"],
    ["classify", "--nature", "publik", "--basis", "umum", "--scope", "nasional"],
    ["calendar", "--service", "persuratan-online", "--year", "2026"]], ids=" ".join)
def test_every_command_that_prints_data_speaks_json(filled, capsys, command):
    r = spbe(capsys, "--config", str(filled / "spbe.yaml"), *command, "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out) is not None


def test_the_audit_list_filters_by_person_and_action(filled, capsys, monkeypatch):
    args = ("--config", str(filled / "spbe.yaml"), "audit", "list")
    entries = json.loads(spbe(capsys, *args, "--json").out)
    assert {e["action"] for e in entries} >= {"downtime.add", "maintenance.add", "token.issue"}
    assert all(e["action"] != "seal" for e in entries)
    mine = json.loads(spbe(capsys, *args, "--person", "os:root", "--json").out)
    assert {e["actor"] for e in mine} == {"os:root"}
    drp = json.loads(spbe(capsys, *args, "--action", "maintenance.", "--json").out)
    assert {e["action"] for e in drp} == {"maintenance.add"}
    monkeypatch.setattr(base, "at_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "80")
    table = spbe(capsys, *args).out
    assert max(len(line) for line in table.splitlines()) <= 80 and "Time (WIB)" in table


def test_every_command_says_what_it_does():
    import click

    from spbe_monitor.cli import cli

    def silent(group: click.Group, path: str) -> list[str]:
        found = []
        ctx = click.Context(group)
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None
            if isinstance(command, click.Group):
                found += silent(command, f"{path} {name}")
            elif not (command.help or "").strip():
                found.append(f"{path} {name}")
        return found

    assert silent(cli, "spbe") == []

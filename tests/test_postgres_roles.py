"""The PostgreSQL roles of deploy/ (issue 29): the daemon's role owns the ledger and alone
writes it; the reporting role reads the evidence and nothing else. The shipped SQL files
are run by psql against a real server, with only the passwords changed."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from spbe_monitor.ledger import db
from spbe_monitor.ledger.store import Store
from tests.pg import pg_bindir

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
PASSWORDS = {"spbe_daemon": "rahasia-daemon-uji", "spbe_report": "rahasia-laporan-uji"}
SECRETS = {"change-me-daemon": PASSWORDS["spbe_daemon"],
           "change-me-report": PASSWORDS["spbe_report"]}


def run_sql(server: str, name: str, database: str, tmp: Path) -> None:
    text = (DEPLOY / name).read_text()
    for placeholder, value in SECRETS.items():
        text = text.replace(placeholder, value)
    script = tmp / name
    script.write_text(text)
    bindir = pg_bindir()
    assert bindir is not None
    url = server.rsplit("/", 1)[0] + f"/{database}"
    done = subprocess.run([str(bindir / "psql"), url, "-v", "ON_ERROR_STOP=1", "-q", "-f",
                           str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def as_role(server: str, role: str) -> str:
    host = server.split("@", 1)[1].rsplit("/", 1)[0]
    return f"postgresql://{role}:{PASSWORDS[role]}@{host}/spbe"


@pytest.fixture
def ledger(postgres_server: str, tmp_path: Path) -> Iterator[str]:
    run_sql(postgres_server, "postgresql-ledger.sql", "postgres", tmp_path)
    try:
        yield postgres_server
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS spbe WITH (FORCE)")
            conn.execute("DROP ROLE IF EXISTS spbe_report")
            conn.execute("DROP ROLE IF EXISTS spbe_daemon")


def test_the_daemons_role_owns_the_ledger_and_the_report_role_only_reads_evidence(
        ledger: str, tmp_path: Path) -> None:
    daemon_url = as_role(ledger, "spbe_daemon").replace("postgresql://",
                                                        "postgresql+psycopg://")
    engine = db.make_engine(daemon_url)
    db.upgrade(engine)  # the daemon's first start makes the tables, owned by its role
    store = Store(engine)
    store.record_act(datetime.now(UTC), "199002102015032005", "downtime.add", "outages:1")
    store.add_token("199002102015032005", "0" * 64, "os:root", datetime.now(UTC))
    engine.dispose()
    run_sql(ledger, "postgresql-report.sql", "spbe", tmp_path)
    run_sql(ledger, "postgresql-report.sql", "spbe", tmp_path)  # again after an upgrade
    with psycopg.connect(as_role(ledger, "spbe_report"), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM audit_log").fetchone() == (3,)  # act, token, seal
        conn.execute("SELECT * FROM outages").fetchall()
        for forbidden in ("SELECT * FROM api_tokens", "SELECT * FROM totp_secrets",
                          "SELECT * FROM passwords", "SELECT * FROM konsol_sessions",
                          "DELETE FROM audit_log", "UPDATE outages SET cause = 'x'",
                          "INSERT INTO audit_checkpoints (entry_id, entry_hash, signed_at, "
                          "signature) VALUES (1, 'x', now(), 'x')",
                          "CREATE TABLE public.mine (x int)"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(forbidden)
    with psycopg.connect(ledger.rsplit("/", 1)[0] + "/spbe") as conn:
        owners = {r[0] for r in conn.execute(
            "SELECT tableowner FROM pg_tables WHERE schemaname = 'public'").fetchall()}
    assert owners == {"spbe_daemon"}  # so only the daemon's role alters them

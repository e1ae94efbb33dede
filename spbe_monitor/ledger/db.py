"""Engines and migrations. SQLite runs in WAL mode with full sync: a command that returned 0
has its write on disk, even if the machine loses power right after."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from spbe_monitor.errors import Refused, SpbeError

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

SCRIPT_LOCATION = "spbe_monitor.ledger:migrations"
# the schema this code expects: a ledger already there opens without loading Alembic (a
# test holds it equal to the newest migration)
HEAD = "0026"


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # psycopg prepares a statement run five times on a connection, and PostgreSQL may
        # then plan it once for any parameters: a month's read of hourly utilisation took
        # 3x as long on a three-year ledger with such a plan (bench/ledger_growth). Each
        # of the ledger's reads is best planned for its own time range.
        return create_engine(url, pool_pre_ping=True, connect_args={
            "options": "-c plan_cache_mode=force_custom_plan"})
    if parsed.database and parsed.database != ":memory:":
        private_file(Path(parsed.database))
    engine = create_engine(url, connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Take the write lock up front: concurrent writers queue instead of failing midway.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def private_file(path: Path) -> None:
    """The SQLite ledger readable by its owner only (its folder, when we make it, too):
    it holds TOTP enrolments, password hashes and every piece of evidence, and SQLite gives
    its -wal and -shm files the database file's mode. A ledger created 0644 let any shell
    user read it. An existing file of ours that others can read is closed to them."""
    closed = Refused(f"{path}: the ledger is open to the daemon's user and the administrators "
                     "only; officials act through the running daemon with their own token "
                     "(`spbe login`)")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        return
    except FileExistsError:
        # another user's ledger closed to us (ours made read-only is the disk's problem,
        # which the daemon survives by spooling)
        if path.stat().st_uid != os.geteuid() and not os.access(path, os.R_OK | os.W_OK):
            raise closed from None
    except PermissionError:
        raise closed from None
    except OSError:
        return  # SQLite will say what is wrong when it opens it
    for each in (path, *(path.with_name(path.name + x) for x in ("-wal", "-shm", "-journal"))):
        try:
            st = each.stat()
        except OSError:
            continue
        if st.st_uid == os.geteuid() and st.st_mode & 0o077:
            with contextlib.suppress(OSError):  # an immutable file: the disk's problem,
                os.chmod(each, 0o600)  # which the daemon survives by spooling


def _alembic_config() -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    return cfg


def head_revision() -> str | None:
    """The newest migration, as Alembic's scripts say."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The ledger's schema revision (None: a new database)."""
    with engine.connect() as conn:
        if not conn.dialect.has_table(conn, "alembic_version"):
            return None
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return None if revision is None else str(revision)


def upgrade(engine: Engine) -> bool:
    """Bring the schema to head; True when anything was applied."""
    if current_revision(engine) == HEAD:
        return False
    from alembic import command

    cfg = _alembic_config()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except Exception as exc:
        raise SpbeError(f"database migration failed: {exc}") from exc
    return True

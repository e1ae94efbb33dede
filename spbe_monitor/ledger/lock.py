"""One daemon per ledger: a second `spbe run` is refused, naming the holder. (Members of a
cluster hold the PostgreSQL lock shared: among themselves they coordinate by leases, and a
daemon outside the cluster is refused as before.)

SQLite: an exclusive `flock` on `<database>.lock` (the holder written inside), the
database's path resolved first: a symlink or another spelling of the path meets the same
lock file, and so does a bind mount of its folder (the lock file is the same inode there).
(The database file itself is not opened for this: closing any descriptor of it would drop
SQLite's own POSIX locks in this process.) PostgreSQL:
a session advisory lock (local to the database) on a connection kept for the purpose, the
holder named in its `application_name`. Both are released by the kernel or the server when
the process dies, so a crash never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.engine import make_url

from spbe_monitor.errors import Refused
from spbe_monitor.localtime import read_time

LOCK_KEY = 4_902_024  # Perbup 49/2024


@dataclass(frozen=True)
class Holder:
    host: str
    pid: int
    since: datetime

    @classmethod
    def me(cls) -> Holder:
        return cls(socket.gethostname(), os.getpid(), datetime.now(UTC))

    def describe(self, zone: str = "UTC") -> str:
        return f"host {self.host}, pid {self.pid}, since {read_time(self.since, zone)}"

    def as_text(self) -> str:
        return f"spbe-monitor {self.host} {self.pid} {self.since.isoformat(timespec='seconds')}"

    @classmethod
    def from_text(cls, value: str) -> Holder | None:
        parts = value.split(" ")
        if len(parts) != 4 or parts[0] != "spbe-monitor":
            return None
        try:
            return cls(parts[1], int(parts[2]), datetime.fromisoformat(parts[3]))
        except ValueError:
            return None


def _refused(ledger: str, holder: Holder | None, zone: str, hint: str = "") -> Refused:
    who = holder.describe(zone) if holder else "holder unknown"
    return Refused(f"the ledger {ledger} is already used by a running daemon ({who}); "
                   f"one daemon per ledger{hint}")


def discard(conn: Connection | None) -> None:
    """Give up a lock's connection that failed: never back to the pool."""
    if conn is not None:
        try:
            conn.invalidate()
            conn.close()
        except Exception:  # the connection is dead already
            pass


class LedgerLock:
    """Held from `acquire` until `release` or the process ends."""

    def __init__(self, engine: Engine, holder: Holder, shared: bool = False,
                 zone: str = "UTC") -> None:
        """`zone`: the one a refusal names the holder's start in (spbe.yaml timezone)."""
        self.engine = engine
        self.zone = zone
        self.holder = holder
        self.shared = shared
        self._file: IO[str] | None = None
        self._conn: Connection | None = None

    @property
    def _sqlite_path(self) -> Path | None:
        url = make_url(str(self.engine.url))
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        assert url.database is not None
        return Path(os.path.realpath(url.database) + ".lock")

    def acquire(self) -> None:
        """Take the lock or raise Refused naming the daemon that has it."""
        if self.engine.dialect.name == "postgresql":
            self._acquire_pg()
            return
        path = self._sqlite_path
        if path is None:
            return  # an in-memory ledger is private to its process anyway
        f = open(path, "a+")  # noqa: SIM115 - held open for the daemon's life
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            content = f.read()
            f.close()
            try:
                data = json.loads(content)
                holder: Holder | None = Holder(data["host"], int(data["pid"]),
                                               datetime.fromisoformat(data["since"]))
            except (ValueError, KeyError, TypeError):
                holder = None
            raise _refused(str(path.with_suffix("")), holder, self.zone) from None
        try:  # who holds it, for the next one refused; a full disk keeps the lock unnamed
            f.seek(0)
            f.truncate()
            f.write(json.dumps({"host": self.holder.host, "pid": self.holder.pid,
                                "since": self.holder.since.isoformat()}))
            f.flush()
        except OSError:
            pass
        self._file = f

    def _acquire_pg(self) -> None:
        conn = self.engine.connect()
        try:
            conn.execute(text("SELECT set_config('application_name', :v, false)"),
                         {"v": self.holder.as_text()})
            how = "pg_try_advisory_lock_shared" if self.shared else "pg_try_advisory_lock"
            got = conn.execute(select(text(f"{how}({LOCK_KEY})"))).scalar()
            conn.commit()
            if not got:
                names = conn.execute(text(
                    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a "
                    "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                    "AND l.objid = :k AND l.database = (SELECT oid FROM pg_database "
                    "WHERE datname = current_database())"), {"k": LOCK_KEY}).scalars().all()
                conn.close()
                holder = next((h for n in names if (h := Holder.from_text(n or ""))), None)
                db = make_url(str(self.engine.url)).database or "?"
                raise _refused(f"postgresql database {db}", holder, self.zone,
                               ", or a cluster (cluster.enabled) on every daemon using it")
        except Exception:
            if not conn.closed:
                conn.close()
            raise
        self._conn = conn

    def check(self) -> bool:
        """PostgreSQL: is the lock's connection (and so the lock) still there? A database
        restart drops it; then take it again. False if another daemon took it meanwhile."""
        if self.engine.dialect.name != "postgresql":
            return True
        try:
            if self._conn is not None and not self._conn.closed:
                self._conn.execute(text("SELECT 1")).scalar()
                self._conn.commit()
                return True
        except Exception:
            self._drop_conn()
        try:
            self._acquire_pg()
        except Refused:
            return False
        except Exception:
            return True  # the database is still away: nobody else can take it either
        return True

    def _drop_conn(self) -> None:
        discard(self._conn)
        self._conn = None

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        if self._conn is not None and not self._conn.closed:
            try:
                how = "pg_advisory_unlock_shared" if self.shared else "pg_advisory_unlock"
                self._conn.execute(select(text(f"{how}({LOCK_KEY})")))
                self._conn.commit()
            finally:
                self._conn.close()
        self._conn = None

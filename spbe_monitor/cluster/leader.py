"""The cluster's leader: whoever holds a PostgreSQL advisory lock on a connection kept for
the purpose. Jobs that must run once (month-end Formulir F, audit checkpoints, the ledger
figures of /metrics) run only there. The server drops the lock with the connection: a
killed leader at once, a frozen one after `idle_session_timeout` (one lease), since the
leader touches its connection every renewal."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import Connection, Engine, select, text

from spbe_monitor.errors import first_line
from spbe_monitor.ledger.lock import discard

log = logging.getLogger("spbe.cluster")
LEADER_KEY = 4_902_025


class Leadership:
    def __init__(self, engine: Engine, member: str, lease: timedelta) -> None:
        self.engine = engine
        self.member = member
        self.lease = lease
        self._conn: Connection | None = None
        self.leading = False

    def try_lead(self) -> bool:
        """Keep or take the lock; False when another member holds it or the database is
        away (then nobody leads: the jobs wait)."""
        try:
            if self._conn is not None and self.leading:
                self._conn.execute(text("SELECT 1")).scalar()
                self._conn.commit()
                return True
            if self._conn is None:
                self._conn = self.engine.connect()
                ms = int(self.lease.total_seconds() * 1000)
                self._conn.execute(text("SELECT set_config('application_name', :v, false), "
                                        "set_config('idle_session_timeout', :t, false)"),
                                   {"v": f"spbe-monitor leader candidate {self.member}"[:63],
                                    "t": str(ms)})
            got = bool(self._conn.execute(select(text(
                f"pg_try_advisory_lock({LEADER_KEY})"))).scalar())
            self._conn.commit()
        except Exception as exc:
            if self.leading:
                log.warning("lost the leader's lock: %s", first_line(exc))
            self._drop()
            return False
        if got and not self.leading:
            log.info("this member (%s) leads the cluster", self.member)
        self.leading = got
        return got

    def _drop(self) -> None:
        self.leading = False
        discard(self._conn)
        self._conn = None

    def resign(self) -> None:
        if self._conn is not None and self.leading:
            try:
                self._conn.execute(select(text(f"pg_advisory_unlock({LEADER_KEY})")))
                self._conn.commit()
            except Exception:  # the lock goes with the connection anyway
                pass
        self._drop()


def leader_name(conn: Connection) -> str | None:
    """The member holding the leader's lock, from its connection's application_name."""
    name = conn.execute(text(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objid = :k AND l.database = "
        "(SELECT oid FROM pg_database WHERE datname = current_database())"),
        {"k": LEADER_KEY}).scalar()
    prefix = "spbe-monitor leader candidate "
    return name[len(prefix):] if isinstance(name, str) and name.startswith(prefix) else None

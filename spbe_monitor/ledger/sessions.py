"""Daemon sessions: when a daemon observed (its heartbeat, written every second with the
engine's flush) and whether it stopped on purpose (the shutdown mark)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from spbe_monitor.availability.intervals import Interval
from spbe_monitor.ledger.repo import Repo, epoch
from spbe_monitor.ledger.tables import heartbeats


def beat(conn: Connection, session_id: int, now: datetime) -> bool:
    """Move the session's last observation forward; False if it is closed or already later
    (a replayed beat is then a no-op, never an error)."""
    result = conn.execute(update(heartbeats).where(and_(
        heartbeats.c.id == session_id, heartbeats.c.stopped_at.is_(None),
        heartbeats.c.last_seen_at <= now,
    )).values(last_seen_at=now))
    return result.rowcount == 1


def start_session(conn: Connection, instance: str, started: datetime) -> None:
    """The session of a daemon that began at `started` (once: a replay finds it there)."""
    known = conn.execute(select(heartbeats.c.id).where(and_(
        heartbeats.c.instance == instance, heartbeats.c.started_at == started))).first()
    if known is None:
        conn.execute(insert(heartbeats).values(instance=instance, started_at=started,
                                               last_seen_at=started))


def session_of(conn: Connection, instance: str, started: datetime) -> int | None:
    row = conn.execute(select(heartbeats.c.id).where(and_(
        heartbeats.c.instance == instance, heartbeats.c.started_at == started))).first()
    return None if row is None else int(row[0])


class SessionRepo(Repo):
    def session_of(self, instance: str, started: datetime) -> int | None:
        """The session a daemon opened through its spool (it began while the ledger
        refused writes), once the ledger holds it."""
        with self.engine.connect() as conn:
            return session_of(conn, instance, started)

    def open_session(self, instance: str, now: datetime) -> int:
        with self.engine.begin() as conn:
            new_id = conn.execute(insert(heartbeats).values(
                instance=instance, started_at=now, last_seen_at=now)).inserted_primary_key
        assert new_id is not None
        return int(new_id[0])

    def beat(self, session_id: int, now: datetime) -> None:
        with self.engine.begin() as conn:
            if not beat(conn, session_id, now):
                raise RuntimeError(f"heartbeat session {session_id} is closed or ahead of now")

    def close_session(self, session_id: int, now: datetime) -> None:
        """The shutdown mark: the daemon stopped on purpose and observed until `now`."""
        with self.engine.begin() as conn:
            conn.execute(update(heartbeats).where(and_(
                heartbeats.c.id == session_id, heartbeats.c.stopped_at.is_(None),
            )).values(last_seen_at=now, stopped_at=now))

    def observed(self, lo: datetime, hi: datetime) -> list[Interval]:
        """Epoch spans in which a daemon was observing, overlapping `[lo, hi)`."""
        q = select(heartbeats.c.started_at, heartbeats.c.last_seen_at).where(and_(
            heartbeats.c.started_at < hi, heartbeats.c.last_seen_at > lo))
        with self.engine.connect() as conn:
            return [(epoch(r.started_at), epoch(r.last_seen_at)) for r in conn.execute(q)]

    def last_observed(self) -> datetime | None:
        """The newest moment any daemon observed (its last heartbeat)."""
        with self.engine.connect() as conn:
            seen: datetime | None = conn.execute(select(heartbeats.c.last_seen_at).order_by(
                heartbeats.c.last_seen_at.desc()).limit(1)).scalar()
        return seen

    def sessions(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                select(heartbeats).order_by(heartbeats.c.id))]

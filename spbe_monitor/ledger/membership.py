"""Cluster membership and unit claims in the ledger (PostgreSQL only).

Leases are in the database's clock, so members on machines whose clocks disagree still
agree on who is alive. A member's `epoch` is its fencing token: raised at every (re)join and
when another member reaps it. A claim names the member *and* the epoch that holds a unit;
every engine write for a unit checks its claim in the writing transaction (`held`, FOR
SHARE), and a reaper must update that same row first: once a paused member has been reaped,
nothing it wrote before the pause can land.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, and_, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from spbe_monitor.errors import Refused
from spbe_monitor.ledger.evidence import seal
from spbe_monitor.ledger.outages import record_transitions
from spbe_monitor.ledger.records import TransitionRow
from spbe_monitor.ledger.tables import (
    cluster_claims,
    cluster_members,
    heartbeats,
    outages,
    transitions,
)

DB_NOW = func.timezone("UTC", func.now())  # naive UTC, as every stored time
Subjects = Callable[[str], tuple[frozenset[str], frozenset[str]]]  # unit → services, probes


@dataclass(frozen=True)
class MemberRow:
    member: str
    epoch: int
    state: str
    url: str
    host: str
    pid: int
    session_id: int | None
    config_digest: str
    joined_at: datetime
    renewed_at: datetime
    lease_until: datetime
    units: int  # claims held under its current epoch

    def alive(self, now: datetime) -> bool:
        return self.state == "live" and self.lease_until > now


@dataclass(frozen=True)
class Reaped:
    member: str
    units: tuple[str, ...]
    outages_closed: tuple[int, ...]


def db_now(conn: Connection) -> datetime:
    from spbe_monitor.ledger.tables import UTCDateTime

    value = conn.execute(select(DB_NOW)).scalar_one()
    out = UTCDateTime().process_result_value(value, conn.dialect)
    assert out is not None
    return out


def process_gone(host: str, pid: int) -> bool:
    """A member of this host whose process is gone: taken over at once, not a lease later."""
    if host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def held(conn: Connection, member: str, epoch: int, units: Iterable[str]) -> set[str]:
    """Which of `units` this member holds under this epoch, locked until the transaction
    ends (a reaper waits for it; a write it lets through cannot race a takeover)."""
    wanted = sorted(set(units))
    if not wanted:
        return set()
    return set(conn.execute(select(cluster_claims.c.unit).where(
        cluster_claims.c.member == member, cluster_claims.c.epoch == epoch,
        cluster_claims.c.unit.in_(wanted)).with_for_update(read=True)).scalars())


class Membership:
    """One member's view and acts: join, renew, reap the dead, claim, release, leave."""

    def __init__(self, engine: Engine, member: str, lease: timedelta, url: str,
                 config_digest: str) -> None:
        self.engine = engine
        self.member = member
        self.lease = lease
        self.url = url
        self.config_digest = config_digest
        self.epoch: int | None = None

    def _until(self) -> object:
        return DB_NOW + text(f"interval '{self.lease.total_seconds():.3f} seconds'")

    def join(self, session_id: int, subjects_of: Subjects) -> int:
        """Register (again) with a new epoch; refused while a live member has our name."""
        with self.engine.begin() as conn:
            row = conn.execute(select(cluster_members).where(
                cluster_members.c.member == self.member).with_for_update()).first()
            now = db_now(conn)
            if row is not None and row.state == "live" and row.lease_until > now:
                if row.epoch == self.epoch:
                    pass  # our own earlier epoch, still live: a rejoin after being fenced
                elif not process_gone(row.host, row.pid):
                    raise Refused(f"cluster member {self.member!r} is already live (host "
                                  f"{row.host}, pid {row.pid}); give each daemon its own "
                                  "cluster.member")
            if row is not None and row.state == "live":
                # our crashed predecessor
                self._reap_in(conn, row.member, row.epoch, row.session_id, subjects_of)
            epoch = (row.epoch if row is not None else 0) + 1
            values = dict(epoch=epoch, state="live", url=self.url, host=socket.gethostname(),
                          pid=os.getpid(), session_id=session_id,
                          config_digest=self.config_digest, joined_at=DB_NOW,
                          renewed_at=DB_NOW, lease_until=self._until())
            stmt = pg_insert(cluster_members).values(member=self.member, **values)
            conn.execute(stmt.on_conflict_do_update(index_elements=["member"], set_=values))
        self.epoch = epoch
        return epoch

    def renew(self) -> bool:
        """Extend our lease; False when we were reaped meanwhile (fenced: rejoin)."""
        with self.engine.begin() as conn:
            return conn.execute(update(cluster_members).where(
                cluster_members.c.member == self.member, cluster_members.c.epoch == self.epoch,
                cluster_members.c.state == "live",
            ).values(renewed_at=DB_NOW, lease_until=self._until())).rowcount == 1

    def reap(self, subjects_of: Subjects) -> list[Reaped]:
        """Declare members whose lease ran out dead: raise their epoch, free their units,
        close their services' open outages at their last heartbeat (flagged unobserved; the
        new owner continues an incident that goes on)."""
        out = []
        with self.engine.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '2s'"))  # a frozen writer: next round
            dead = conn.execute(select(cluster_members).where(
                cluster_members.c.state == "live", cluster_members.c.lease_until < DB_NOW,
                cluster_members.c.member != self.member).with_for_update(skip_locked=True)).all()
            for row in dead:
                out.append(self._reap_in(conn, row.member, row.epoch, row.session_id,
                                         subjects_of))
        return out

    @staticmethod
    def _reap_in(conn: Connection, member: str, epoch: int, session_id: int | None,
                 subjects_of: Subjects) -> Reaped:
        units = tuple(conn.execute(delete(cluster_claims).where(
            cluster_claims.c.member == member, cluster_claims.c.epoch == epoch,
        ).returning(cluster_claims.c.unit)).scalars())
        conn.execute(update(cluster_members).where(cluster_members.c.member == member).values(
            state="gone", epoch=epoch + 1))
        last_seen = None if session_id is None else conn.execute(select(
            heartbeats.c.last_seen_at).where(heartbeats.c.id == session_id)).scalar()
        closed: list[int] = []
        if last_seen is None:
            return Reaped(member, units, ())
        services = sorted({s for u in units for s in subjects_of(u)[0]})
        probes = sorted({p for u in units for p in subjects_of(u)[1]})
        unknown(conn, [("service", s) for s in services] + [("component", p) for p in probes],
                last_seen, f"cluster member {member} declared dead: not observed since")
        if services:
            for oid, start in conn.execute(select(outages.c.id, outages.c.start_at).where(
                    outages.c.service_id.in_(services), outages.c.source == "probe",
                    outages.c.end_at.is_(None))).all():
                end = max(start, last_seen)
                conn.execute(update(outages).where(outages.c.id == oid).values(
                    end_at=end, closed_unobserved=True))
                seal(conn, outages, outages.c.id == oid, end)
                closed.append(int(oid))
        return Reaped(member, units, tuple(closed))

    def claim(self, units: Iterable[str]) -> set[str]:
        """Claim the free ones among `units`; returns every unit we hold now."""
        wanted = sorted(set(units))
        with self.engine.begin() as conn:
            if wanted:
                stmt = pg_insert(cluster_claims).values(
                    [dict(unit=u, member=self.member, epoch=self.epoch, since=DB_NOW)
                     for u in wanted])
                conn.execute(stmt.on_conflict_do_nothing(index_elements=["unit"]))
            return set(conn.execute(select(cluster_claims.c.unit).where(
                cluster_claims.c.member == self.member,
                cluster_claims.c.epoch == self.epoch)).scalars())

    def leave(self) -> None:
        """A clean stop: our units are free at once, our row says we left."""
        with self.engine.begin() as conn:
            conn.execute(delete(cluster_claims).where(cluster_claims.c.member == self.member,
                                                      cluster_claims.c.epoch == self.epoch))
            conn.execute(update(cluster_members).where(
                cluster_members.c.member == self.member,
                cluster_members.c.epoch == self.epoch).values(state="left"))


def members(engine: Engine) -> tuple[datetime, list[MemberRow]]:
    """The database's now and every member ever registered, with its claim count (read by
    members and by `spbe cluster status`, which is none)."""
    counts = select(cluster_claims.c.member, cluster_claims.c.epoch,
                    func.count().label("n")).group_by(
        cluster_claims.c.member, cluster_claims.c.epoch).subquery()
    q = select(cluster_members, func.coalesce(counts.c.n, 0)).outerjoin(counts, and_(
        counts.c.member == cluster_members.c.member,
        counts.c.epoch == cluster_members.c.epoch)).order_by(cluster_members.c.member)
    with engine.connect() as conn:
        now = db_now(conn)
        rows = [MemberRow(*r) for r in conn.execute(q)]
    return now, rows


def claims(engine: Engine) -> dict[str, tuple[str, int]]:
    """Unit → (member, epoch)."""
    with engine.connect() as conn:
        return {u: (m, e) for u, m, e in conn.execute(select(
            cluster_claims.c.unit, cluster_claims.c.member, cluster_claims.c.epoch))}


def unknown(conn: Connection, subjects: list[tuple[str, str]], at: datetime,
            message: str) -> None:
    """Subjects whose judge died: their state is unknown from its last heartbeat (so the
    ledger's chain of transitions stays whole when the new owner judges them afresh)."""
    t = transitions
    rows = []
    for kind, sid in subjects:
        last = conn.execute(select(t.c.new).where(t.c.subject_type == kind,
                                                  t.c.subject_id == sid).order_by(
            t.c.at.desc(), t.c.id.desc()).limit(1)).scalar()
        if last is not None and last != "unknown":
            rows.append(TransitionRow(kind, sid, at, last, "unknown", message))
    record_transitions(conn, rows)


def release(conn: Connection, member: str, epoch: int, units: Iterable[str]) -> None:
    """Free units we hand over (a write, so it lands after everything we wrote for them)."""
    conn.execute(delete(cluster_claims).where(
        cluster_claims.c.member == member, cluster_claims.c.epoch == epoch,
        cluster_claims.c.unit.in_(sorted(set(units)))))

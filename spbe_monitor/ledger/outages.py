"""Outages and state transitions. The engine's writes are functions on a connection, so the
durable writer can apply many in one transaction (and replay them from its spool)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    func,
    insert,
    select,
    update,
)

from spbe_monitor.availability.intervals import Interval
from spbe_monitor.errors import NotFound
from spbe_monitor.ledger.audit import audit_in
from spbe_monitor.ledger.evidence import seal
from spbe_monitor.ledger.records import Outage, TransitionRow, cut_gaps
from spbe_monitor.ledger.repo import Repo, epoch
from spbe_monitor.ledger.tables import heartbeats, outage_gaps, outages, transitions

_FIELDS = [f for f in Outage.__dataclass_fields__ if f != "gaps"]


def open_outage(
    conn: Connection,
    service_id: str,
    start: datetime,
    impact: str,
    priority: str,
    deadlines: tuple[datetime, datetime],
    message: str,
    now: datetime,
    continues: bool = False,
    seen_from: tuple[str, ...] = (),
) -> int | None:
    """Open a probed outage unless one is already open for the service (then None).

    `continues`: the service is down at its first evaluation after a restart. If its last
    outage was closed only because the daemon stopped, that incident goes on — same id,
    priority and deadlines — and the span nobody observed is kept as a gap inside it.
    """
    already = conn.execute(select(outages.c.id).where(
        outages.c.service_id == service_id, outages.c.source == "probe",
        outages.c.end_at.is_(None))).first()
    if already is not None:
        return None
    if continues:
        last = conn.execute(select(outages.c.id, outages.c.end_at, outages.c.impact,
                                   outages.c.closed_unobserved).where(
            outages.c.service_id == service_id, outages.c.source == "probe",
        ).order_by(outages.c.start_at.desc(), outages.c.id.desc()).limit(1)).first()
        if (last is not None and last.closed_unobserved and last.impact == impact
                and last.end_at is not None and last.end_at <= start):
            if last.end_at < start:
                conn.execute(insert(outage_gaps).values(outage_id=last.id,
                                                        start_at=last.end_at, end_at=start))
                seal(conn, outage_gaps, outage_gaps.c.outage_id == last.id, now)
            conn.execute(update(outages).where(outages.c.id == last.id).values(
                end_at=None, closed_unobserved=False))
            seal(conn, outages, outages.c.id == last.id, now)
            return int(last.id)
    new_id = conn.execute(insert(outages).values(
        service_id=service_id, start_at=start, end_at=None, impact=impact,
        priority=priority, source="probe", cause=message, entered_by=None,
        closed_unobserved=False, created_at=now, respond_by=deadlines[0],
        resolve_by=deadlines[1], seen_from=",".join(seen_from) or None)).inserted_primary_key
    assert new_id is not None
    seal(conn, outages, outages.c.id == new_id[0], now)
    return int(new_id[0])


def close_outage(conn: Connection, service_id: str, end: datetime,
                 unobserved: bool = False) -> int:
    """Close the service's open probed outage; returns how many rows closed (0 or 1)."""
    oid = conn.execute(select(outages.c.id).where(
        outages.c.service_id == service_id, outages.c.source == "probe",
        outages.c.end_at.is_(None), outages.c.start_at <= end)).scalar()
    if oid is None:
        return 0
    result = conn.execute(update(outages).where(
        outages.c.id == oid, outages.c.end_at.is_(None),
    ).values(end_at=end, closed_unobserved=unobserved))
    seal(conn, outages, outages.c.id == oid, end)
    return int(result.rowcount)


def record_transitions(conn: Connection, rows: Sequence[TransitionRow]) -> None:
    if rows:
        conn.execute(insert(transitions), [
            dict(subject_type=r.subject_type, subject_id=r.subject_id, at=r.at, old=r.old,
                 new=r.new, message=r.message) for r in rows])


def close_unobserved(conn: Connection) -> list[int]:
    """OutageRepo.close_unobserved inside the caller's transaction (also a spooled write:
    writes.StartSession)."""
    last_seen = conn.execute(select(heartbeats.c.last_seen_at).order_by(
        heartbeats.c.last_seen_at.desc()).limit(1)).scalar()
    rows = conn.execute(select(outages.c.id, outages.c.start_at).where(
        outages.c.source == "probe", outages.c.end_at.is_(None))).all()
    closed = []
    for oid, start in rows:
        end = max(start, last_seen or start)
        result = conn.execute(update(outages).where(
            outages.c.id == oid, outages.c.end_at.is_(None)).values(
                end_at=end, closed_unobserved=True))
        if result.rowcount == 1:
            seal(conn, outages, outages.c.id == oid, end)
            closed.append(oid)
    return closed


class OutageRepo(Repo):
    def add_manual_outage(
        self,
        service_id: str,
        start: datetime,
        end: datetime,
        impact: str,
        priority: str,
        cause: str,
        actor: str,
        now: datetime,
        deadlines: tuple[datetime, datetime] | None = None,
    ) -> int:
        values = dict(
            service_id=service_id, start_at=start, end_at=end, impact=impact, priority=priority,
            source="manual", cause=cause, entered_by=actor, closed_unobserved=False,
            created_at=now, respond_by=deadlines[0] if deadlines else None,
            resolve_by=deadlines[1] if deadlines else None,
        )
        with self.engine.begin() as conn:
            new_id = conn.execute(insert(outages).values(**values)).inserted_primary_key
            assert new_id is not None
            oid = int(new_id[0])
            audit_in(conn, now, actor, "downtime.add", f"outage:{oid}", after=values)
            seal(conn, outages, outages.c.id == oid, now)
        return oid

    def annotate_outage(self, outage_id: int, cause: str, actor: str, now: datetime) -> None:
        with self.engine.begin() as conn:
            before = conn.execute(
                select(outages.c.cause).where(outages.c.id == outage_id)
            ).scalar_one_or_none()
            result = conn.execute(
                update(outages).where(outages.c.id == outage_id).values(cause=cause)
            )
            if result.rowcount != 1:
                raise NotFound(f"no outage with id {outage_id}")
            audit_in(conn, now, actor, "downtime.annotate", f"outage:{outage_id}",
                     before={"cause": before}, after={"cause": cause})
            seal(conn, outages, outages.c.id == outage_id, now)

    def _since(self, q: Select[Any], lo: datetime) -> Select[Any]:
        """Outages open or ending after `lo`, found by their end (ix_outages_end)."""
        return q.where(self._any_by_index(outages, lambda t: t.c.end_at.is_(None),
                                          lambda t: t.c.end_at > lo))

    def _overlapping(self, q: Select[Any], service_ids: Iterable[str] | None,
                     lo: datetime | None, hi: datetime | None) -> Select[Any]:
        if service_ids is not None:
            q = q.where(outages.c.service_id.in_(list(service_ids)))
        if hi is not None:
            q = q.where(outages.c.start_at < hi)
        return q if lo is None else self._since(q, lo)

    def outages(
        self,
        service_ids: Iterable[str] | None = None,
        lo: datetime | None = None,
        hi: datetime | None = None,
    ) -> list[Outage]:
        """Outages overlapping `[lo, hi)` (open ones reach to infinity), oldest first."""
        ids = None if service_ids is None else list(service_ids)
        q = self._overlapping(select(*(outages.c[f] for f in _FIELDS)), ids, lo, hi)
        gq = self._overlapping(select(outage_gaps.c.outage_id, outage_gaps.c.start_at,
                                      outage_gaps.c.end_at).join(outages), ids, lo, hi)
        with self.engine.connect() as conn:
            gaps: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
            for oid, a, b in conn.execute(gq.order_by(outage_gaps.c.start_at)):
                gaps[oid].append((a, b))
            return [Outage(**r._mapping, gaps=tuple(gaps.get(r.id, ()))) for r in
                    conn.execute(q.order_by(outages.c.start_at, outages.c.id))]

    def outage(self, outage_id: int) -> Outage:
        """One outage by id (with its gaps), or NotFound."""
        with self.engine.connect() as conn:
            row = conn.execute(select(*(outages.c[f] for f in _FIELDS)).where(
                outages.c.id == outage_id)).first()
            if row is None:
                raise NotFound(f"no outage with id {outage_id}")
            gaps = tuple((a, b) for a, b in conn.execute(select(
                outage_gaps.c.start_at, outage_gaps.c.end_at).where(
                outage_gaps.c.outage_id == outage_id).order_by(outage_gaps.c.start_at)))
        return Outage(**row._mapping, gaps=gaps)

    def outage_spans(
        self, service_ids: Iterable[str], lo: datetime, hi: datetime, impact: str, now: datetime
    ) -> dict[str, list[Interval]]:
        """Epoch spans of outages of one impact overlapping `[lo, hi)`; open ones run to now,
        unobserved gaps cut out."""
        return {sid: [s for _, spans in keyed for s in spans] for sid, keyed in
                self.outage_spans_by_id(service_ids, lo, hi, impact, now).items()}

    def outage_spans_by_id(
        self, service_ids: Iterable[str], lo: datetime, hi: datetime, impact: str, now: datetime
    ) -> dict[str, list[tuple[int, list[Interval]]]]:
        """As `outage_spans`, each outage's spans under its id (for attribution).

        The availability hot path: a few columns, no row objects.
        """
        where = [outages.c.service_id.in_(list(service_ids)), outages.c.impact == impact,
                 outages.c.start_at < hi]
        q = self._since(select(outages.c.id, outages.c.service_id,
                               self._epoch_sql(outages.c.start_at),
                               self._epoch_sql(outages.c.end_at)).where(*where), lo)
        gq = self._since(select(outage_gaps.c.outage_id,
                                self._epoch_sql(outage_gaps.c.start_at),
                                self._epoch_sql(outage_gaps.c.end_at)).join(outages)
                         .where(*where), lo)
        spans: dict[str, list[tuple[int, list[Interval]]]] = defaultdict(list)
        until = epoch(now)
        with self.engine.connect() as conn:
            gaps: dict[int, list[Interval]] = defaultdict(list)
            for oid, a, b in conn.execute(gq):
                gaps[oid].append((a, b))
            for oid, sid, start, end in conn.execute(q):
                end = until if end is None else end
                spans[sid].append((oid, cut_gaps(start, end, gaps[oid]) if oid in gaps
                                   else [(start, end)]))
        return spans

    def open_outage(self, service_id: str, start: datetime, impact: str, priority: str,
                    deadlines: tuple[datetime, datetime], message: str, now: datetime,
                    continues: bool = False) -> int | None:
        with self.engine.begin() as conn:
            return open_outage(conn, service_id, start, impact, priority, deadlines, message,
                               now, continues)

    def close_outage(self, service_id: str, end: datetime, unobserved: bool = False) -> int:
        with self.engine.begin() as conn:
            return close_outage(conn, service_id, end, unobserved)

    def close_unobserved(self) -> list[int]:
        """After a stop or crash: close every open probed outage at the last moment any
        daemon observed it (never before its start), flagged as closed unobserved."""
        with self.engine.begin() as conn:
            return close_unobserved(conn)

    def record_transitions(self, rows: Sequence[TransitionRow]) -> None:
        with self.engine.begin() as conn:
            record_transitions(conn, rows)

    def state_changes(self, subject_ids: Iterable[str], lo: datetime, hi: datetime,
                      subject_type: str = "component") -> dict[str, list[tuple[int, str]]]:
        """Each component's (or service's) (epoch, new state) changes in `[lo, hi)` in time
        order, after the last one before `lo` (its state when the period began, all
        `down_spans` needs of the past): a month costs the same in a ledger of years as in
        a new one."""
        t = transitions
        ids = list(subject_ids)
        during = select(t.c.subject_id, self._epoch_sql(t.c.at), t.c.new).where(
            t.c.subject_type == subject_type, t.c.subject_id.in_(ids), t.c.at >= lo,
            t.c.at < hi).order_by(t.c.at, t.c.id)
        out: dict[str, list[tuple[int, str]]] = defaultdict(list)
        with self.engine.connect() as conn:
            for sid in ids:  # one index seek each, back from `lo` (a join scans all history)
                last = conn.execute(select(self._epoch_sql(t.c.at), t.c.new).where(
                    t.c.subject_id == sid, t.c.subject_type == subject_type, t.c.at < lo,
                ).order_by(t.c.at.desc(), t.c.id.desc()).limit(1)).first()
                if last is not None:
                    out[sid].append((last[0], last[1]))
            for sid, at, new in conn.execute(during):
                out[sid].append((at, new))
        return out

    def ever_unknown(self, service_ids: Iterable[str], hi: datetime) -> list[str]:
        """The services that were ever judged unknown before `hi` (their components'
        locations fell silent, or they were handed over between cluster members)."""
        t = transitions
        with self.engine.connect() as conn:
            return list(conn.execute(select(t.c.subject_id).distinct().where(
                t.c.subject_type == "service", t.c.new == "unknown",
                t.c.subject_id.in_(list(service_ids)), t.c.at < hi)).scalars())

    def last_state(self, subject_id: str) -> tuple[str, datetime] | None:
        """The subject's newest judged state and since when (what `spbe status` says when
        no daemon answers)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(transitions.c.new, transitions.c.at).where(
                transitions.c.subject_id == subject_id).order_by(
                transitions.c.at.desc(), transitions.c.id.desc()).limit(1)).first()
        return None if row is None else (str(row.new), row.at)

    def first_judged(self, subject_id: str) -> datetime | None:
        """When the daemon first judged this subject (its first transition): a service's
        registration, as far as the ledger knows."""
        with self.engine.connect() as conn:
            first: datetime | None = conn.execute(select(func.min(transitions.c.at)).where(
                transitions.c.subject_id == subject_id)).scalar()
        return first

    def transitions(self, subject_id: str | None = None) -> list[dict[str, Any]]:
        q = select(transitions).order_by(transitions.c.id)
        if subject_id is not None:
            q = q.where(transitions.c.subject_id == subject_id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

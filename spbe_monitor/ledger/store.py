"""Repository over the ledger tables. Every write is one transaction; writes that open,
close or change something are conditional updates that check the row count, so a restart
or a second writer never double-counts. Manual changes leave an audit record."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Engine,
    and_,
    cast,
    func,
    insert,
    or_,
    select,
    update,
)

from spbe_monitor.availability.intervals import Interval
from spbe_monitor.errors import BadInput, NotFound, Refused
from spbe_monitor.ledger.auditchain import GENESIS, entry_hash
from spbe_monitor.ledger.tables import (
    api_tokens,
    audit_log,
    heartbeats,
    maintenance_approvals,
    maintenance_services,
    maintenance_windows,
    outages,
    reports,
    transitions,
    utilisation_hourly,
)


@dataclass(frozen=True)
class Outage:
    id: int
    service_id: str
    start_at: datetime
    end_at: datetime | None
    impact: str
    priority: str
    source: str
    cause: str | None
    entered_by: str | None
    closed_unobserved: bool
    respond_by: datetime | None = None
    resolve_by: datetime | None = None


@dataclass(frozen=True)
class Approval:
    service_id: str
    approved_by: str
    approved_at: datetime


@dataclass(frozen=True)
class MaintenanceWindow:
    id: int
    services: tuple[str, ...]
    start_at: datetime
    end_at: datetime
    rrule: str | None
    timezone: str
    reason: str
    registered_at: datetime
    registered_by: str
    cancelled_at: datetime | None
    cancelled_by: str | None
    approvals: tuple[Approval, ...] = field(default=())

    @property
    def registered_late(self) -> bool:
        """Registered at or after its start: not scheduled, excuses nothing unless approved."""
        return self.registered_at >= self.start_at

    def approved_for(self, service_id: str) -> bool:
        return any(a.service_id == service_id for a in self.approvals)


@dataclass(frozen=True)
class UtilisationHour:
    probe_id: str
    metric: str
    hour: datetime
    samples: int
    avg: float
    max: float
    max_at: datetime
    p95: float


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    subject: str
    outcome: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


AUDIT_LOCK = 4949  # pg_advisory_xact_lock key serialising audit appends


def _json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, default=str, sort_keys=True)


def _epoch(dt: datetime) -> int:
    return int(dt.timestamp())


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _epoch_sql(self, column: ColumnElement[datetime]) -> ColumnElement[int]:
        """Whole epoch seconds computed by the database: no datetime parsing per row."""
        if self.engine.dialect.name == "sqlite":
            # strftime rounds fractions of a second; cut them off first, as int() does
            return cast(func.strftime("%s", func.substr(column, 1, 19)), BigInteger)
        return cast(func.floor(func.extract("epoch", column)), BigInteger)

    # --- audit -------------------------------------------------------------------------

    @staticmethod
    def audit_in(
        conn: Connection,
        at: datetime,
        actor: str,
        action: str,
        subject: str,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        outcome: str = "done",
    ) -> None:
        if conn.dialect.name == "postgresql":  # one writer at a time extends the chain
            conn.execute(select(func.pg_advisory_xact_lock(AUDIT_LOCK)))
        prev = conn.execute(select(audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)
                            ).scalar() or GENESIS
        b, a = _json(before), _json(after)
        conn.execute(insert(audit_log).values(
            at=at, actor=actor, action=action, subject=subject, outcome=outcome,
            before=b, after=a, prev_hash=prev,
            hash=entry_hash(prev, at, actor, action, subject, outcome, b, a),
        ))

    def record_refusal(
        self, at: datetime, actor: str, action: str, subject: str, reason: str
    ) -> None:
        """A refused act is kept too: who tried what, and why it was refused."""
        with self.engine.begin() as conn:
            self.audit_in(conn, at, actor, action, subject, after={"reason": reason},
                        outcome="refused")

    def verify_audit(self) -> tuple[int, str | None]:
        """(entries checked, the first problem found or None)."""
        prev = GENESIS
        count = 0
        with self.engine.connect() as conn:
            for r in conn.execute(select(audit_log).order_by(audit_log.c.id)):
                count += 1
                if r.prev_hash != prev:
                    return count, (f"audit entry {r.id}: the entry before it was changed or "
                                   "deleted (chain broken)")
                if r.hash != entry_hash(prev, r.at, r.actor, r.action, r.subject, r.outcome,
                                        r.before, r.after):
                    return count, f"audit entry {r.id} was edited after it was written"
                prev = r.hash
        return count, None

    def audit_entries(self, subject: str | None = None) -> list[AuditEntry]:
        q = select(audit_log).order_by(audit_log.c.id)
        if subject is not None:
            q = q.where(audit_log.c.subject == subject)
        with self.engine.connect() as conn:
            return [
                AuditEntry(
                    id=r.id, at=r.at, actor=r.actor, action=r.action, subject=r.subject,
                    outcome=r.outcome,
                    before=json.loads(r.before) if r.before else None,
                    after=json.loads(r.after) if r.after else None,
                )
                for r in conn.execute(q)
            ]

    # --- outages -----------------------------------------------------------------------

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
            self.audit_in(conn, now, actor, "downtime.add", f"outage:{oid}", after=values)
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
            self.audit_in(conn, now, actor, "downtime.annotate", f"outage:{outage_id}",
                        before={"cause": before}, after={"cause": cause})

    def outages(
        self,
        service_ids: Iterable[str] | None = None,
        lo: datetime | None = None,
        hi: datetime | None = None,
    ) -> list[Outage]:
        """Outages overlapping `[lo, hi)` (open ones reach to infinity), oldest first."""
        q = select(outages).order_by(outages.c.start_at, outages.c.id)
        if service_ids is not None:
            q = q.where(outages.c.service_id.in_(list(service_ids)))
        if hi is not None:
            q = q.where(outages.c.start_at < hi)
        if lo is not None:
            q = q.where(or_(outages.c.end_at.is_(None), outages.c.end_at > lo))
        with self.engine.connect() as conn:
            return [Outage(**r._mapping) for r in conn.execute(q.with_only_columns(
                *(outages.c[f] for f in Outage.__dataclass_fields__)))]

    def outage_spans(
        self, service_ids: Iterable[str], lo: datetime, hi: datetime, impact: str, now: datetime
    ) -> dict[str, list[Interval]]:
        """Epoch spans of outages of one impact overlapping `[lo, hi)`; open ones run to now.

        The availability hot path: three columns, no row objects.
        """
        q = select(outages.c.service_id, self._epoch_sql(outages.c.start_at),
                   self._epoch_sql(outages.c.end_at)).where(
            outages.c.service_id.in_(list(service_ids)), outages.c.impact == impact,
            outages.c.start_at < hi, or_(outages.c.end_at.is_(None), outages.c.end_at > lo))
        spans: dict[str, list[Interval]] = defaultdict(list)
        until = _epoch(now)
        with self.engine.connect() as conn:
            for sid, start, end in conn.execute(q):
                spans[sid].append((start, until if end is None else end))
        return spans

    def open_outage(
        self,
        service_id: str,
        start: datetime,
        impact: str,
        priority: str,
        deadlines: tuple[datetime, datetime],
        message: str,
        now: datetime,
    ) -> int | None:
        """Open a probed outage unless one is already open for the service (then None)."""
        with self.engine.begin() as conn:
            already = conn.execute(select(outages.c.id).where(
                outages.c.service_id == service_id, outages.c.source == "probe",
                outages.c.end_at.is_(None))).first()
            if already is not None:
                return None
            new_id = conn.execute(insert(outages).values(
                service_id=service_id, start_at=start, end_at=None, impact=impact,
                priority=priority, source="probe", cause=message, entered_by=None,
                closed_unobserved=False, created_at=now, respond_by=deadlines[0],
                resolve_by=deadlines[1])).inserted_primary_key
        assert new_id is not None
        return int(new_id[0])

    def close_outage(self, service_id: str, end: datetime, unobserved: bool = False) -> int:
        """Close the service's open probed outage; returns how many rows closed (0 or 1)."""
        with self.engine.begin() as conn:
            result = conn.execute(update(outages).where(
                outages.c.service_id == service_id, outages.c.source == "probe",
                outages.c.end_at.is_(None),
            ).values(end_at=end,
                     closed_unobserved=unobserved))
            return int(result.rowcount)

    def close_unobserved(self) -> list[int]:
        """After a stop or crash: close every open probed outage at the last moment any
        daemon observed it (never before its start), flagged as closed unobserved."""
        with self.engine.begin() as conn:
            last_seen = conn.execute(select(func.max(heartbeats.c.last_seen_at))).scalar()
            rows = conn.execute(select(outages.c.id, outages.c.start_at).where(
                outages.c.source == "probe", outages.c.end_at.is_(None))).all()
            closed = []
            for oid, start in rows:
                end = max(start, last_seen or start)
                result = conn.execute(update(outages).where(
                    outages.c.id == oid, outages.c.end_at.is_(None)).values(
                        end_at=end, closed_unobserved=True))
                if result.rowcount == 1:
                    closed.append(oid)
            return closed

    def record_transitions(self, rows: Sequence[tuple[str, str, datetime, str, str, str]]
                           ) -> None:
        """(subject_type, subject_id, at, old, new, message) rows, in one transaction."""
        if not rows:
            return
        with self.engine.begin() as conn:
            conn.execute(insert(transitions), [
                dict(subject_type=t, subject_id=i, at=at, old=o, new=n, message=m)
                for t, i, at, o, n, m in rows])

    def transitions(self, subject_id: str | None = None) -> list[dict[str, Any]]:
        q = select(transitions).order_by(transitions.c.id)
        if subject_id is not None:
            q = q.where(transitions.c.subject_id == subject_id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def merge_utilisation(self, rows: Sequence[UtilisationHour]) -> None:
        """Add hourly roll-ups; an hour already stored (a restart mid-hour) is combined:
        samples add up, the average is weighted, max is kept, p95 takes the larger."""
        if not rows:
            return
        with self.engine.begin() as conn:
            for r in rows:
                key = and_(utilisation_hourly.c.probe_id == r.probe_id,
                           utilisation_hourly.c.metric == r.metric,
                           utilisation_hourly.c.hour == r.hour)
                old = conn.execute(select(utilisation_hourly).where(key)).first()
                if old is None:
                    conn.execute(insert(utilisation_hourly).values(**asdict(r)))
                    continue
                n = old.samples + r.samples
                newer_max = r.max > old.max
                conn.execute(update(utilisation_hourly).where(key).values(
                    samples=n, avg=(old.avg * old.samples + r.avg * r.samples) / n,
                    max=r.max if newer_max else old.max,
                    max_at=r.max_at if newer_max else old.max_at, p95=max(old.p95, r.p95)))

    def utilisation(self, probe_id: str | None = None) -> list[UtilisationHour]:
        q = select(utilisation_hourly).order_by(utilisation_hourly.c.hour)
        if probe_id is not None:
            q = q.where(utilisation_hourly.c.probe_id == probe_id)
        with self.engine.connect() as conn:
            return [UtilisationHour(**r._mapping) for r in conn.execute(q)]

    # --- maintenance -------------------------------------------------------------------

    def add_maintenance(
        self,
        service_ids: Sequence[str],
        start: datetime,
        end: datetime,
        rrule: str | None,
        zone: str,
        reason: str,
        actor: str,
        now: datetime,
    ) -> int:
        values = dict(start_at=start, end_at=end, rrule=rrule, timezone=zone, reason=reason,
                      registered_at=now, registered_by=actor)
        with self.engine.begin() as conn:
            new_id = conn.execute(insert(maintenance_windows).values(**values)).inserted_primary_key
            assert new_id is not None
            wid = int(new_id[0])
            conn.execute(insert(maintenance_services),
                         [{"window_id": wid, "service_id": s} for s in service_ids])
            self.audit_in(conn, now, actor, "maintenance.add", f"maintenance:{wid}",
                        after={**values, "services": list(service_ids)})
        return wid

    def maintenance(
        self, service_ids: Iterable[str] | None = None, include_cancelled: bool = True,
        window_id: int | None = None,
    ) -> list[MaintenanceWindow]:
        link_q = select(maintenance_services).order_by(maintenance_services.c.service_id)
        approval_q = select(maintenance_approvals)
        q = select(maintenance_windows).order_by(maintenance_windows.c.id)
        if window_id is not None:
            link_q = link_q.where(maintenance_services.c.window_id == window_id)
            approval_q = approval_q.where(maintenance_approvals.c.window_id == window_id)
            q = q.where(maintenance_windows.c.id == window_id)
        with self.engine.connect() as conn:
            links: dict[int, list[str]] = defaultdict(list)
            for r in conn.execute(link_q):
                links[r.window_id].append(r.service_id)
            approvals: dict[int, list[Approval]] = defaultdict(list)
            for r in conn.execute(approval_q):
                approvals[r.window_id].append(Approval(r.service_id, r.approved_by, r.approved_at))
            if not include_cancelled:
                q = q.where(maintenance_windows.c.cancelled_at.is_(None))
            wanted = None if service_ids is None else set(service_ids)
            out = []
            for r in conn.execute(q):
                services = tuple(links[r.id])
                if wanted is not None and not wanted.intersection(services):
                    continue
                out.append(MaintenanceWindow(
                    services=services, approvals=tuple(approvals[r.id]), **r._mapping))
            return out

    def window(self, window_id: int) -> MaintenanceWindow:
        found = self.maintenance(window_id=window_id)
        if not found:
            raise NotFound(f"no maintenance window with id {window_id}")
        return found[0]

    def approve_maintenance(
        self, window_id: int, service_ids: Sequence[str], approver: str, now: datetime
    ) -> None:
        """Record approval for the given services; refused if the window was cancelled."""
        with self.engine.begin() as conn:
            live = conn.execute(select(maintenance_windows.c.id).where(and_(
                maintenance_windows.c.id == window_id,
                maintenance_windows.c.cancelled_at.is_(None),
            ))).first()
            if live is None:
                raise Refused(f"maintenance window {window_id} is cancelled")
            done = set(conn.execute(select(maintenance_approvals.c.service_id).where(
                maintenance_approvals.c.window_id == window_id)).scalars())
            new = [s for s in service_ids if s not in done]
            if new:
                conn.execute(insert(maintenance_approvals), [
                    {"window_id": window_id, "service_id": s, "approved_by": approver,
                     "approved_at": now} for s in new])
            self.audit_in(conn, now, approver, "maintenance.approve", f"maintenance:{window_id}",
                        before={"approved": sorted(done)},
                        after={"approved": sorted(done | set(new))})

    def cancel_maintenance(self, window_id: int, actor: str, now: datetime) -> None:
        with self.engine.begin() as conn:
            result = conn.execute(update(maintenance_windows).where(and_(
                maintenance_windows.c.id == window_id,
                maintenance_windows.c.cancelled_at.is_(None),
            )).values(cancelled_at=now, cancelled_by=actor))
            if result.rowcount != 1:
                exists = conn.execute(select(func.count()).where(
                    maintenance_windows.c.id == window_id)).scalar_one()
                if not exists:
                    raise NotFound(f"no maintenance window with id {window_id}")
                raise BadInput(f"maintenance window {window_id} is already cancelled")
            self.audit_in(conn, now, actor, "maintenance.cancel", f"maintenance:{window_id}",
                        before={"cancelled_at": None}, after={"cancelled_at": now})

    # --- API tokens ----------------------------------------------------------------------

    def add_token(self, nip: str, token_sha256: str, actor: str, now: datetime) -> int:
        with self.engine.begin() as conn:
            new_id = conn.execute(insert(api_tokens).values(
                nip=nip, token_sha256=token_sha256, created_at=now)).inserted_primary_key
            assert new_id is not None
            tid = int(new_id[0])
            self.audit_in(conn, now, actor, "token.issue", f"token:{tid}", after={"nip": nip})
        return tid

    def token_owner(self, token_sha256: str) -> str | None:
        """The NIP a live token belongs to, or None (unknown or revoked)."""
        with self.engine.connect() as conn:
            nip = conn.execute(select(api_tokens.c.nip).where(
                api_tokens.c.token_sha256 == token_sha256,
                api_tokens.c.revoked_at.is_(None))).scalar_one_or_none()
        return None if nip is None else str(nip)

    def revoke_tokens(self, nip: str, actor: str, now: datetime) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(update(api_tokens).where(
                api_tokens.c.nip == nip, api_tokens.c.revoked_at.is_(None)).values(
                    revoked_at=now))
            self.audit_in(conn, now, actor, "token.revoke", f"person:{nip}",
                        after={"revoked": result.rowcount})
            return int(result.rowcount)

    # --- reports -------------------------------------------------------------------------

    def record_report(self, kind: str, subject: str, period: str, fmt: str, path: str,
                      sha256: str, now: datetime, partial: bool) -> None:
        """One row per file written, so a report's exact bytes can be proven later."""
        with self.engine.begin() as conn:
            conn.execute(insert(reports).values(
                kind=kind, subject=subject, period=period, format=fmt, path=path,
                sha256=sha256, generated_at=now, partial=partial))

    def reports(self, kind: str | None = None, period: str | None = None
                ) -> list[dict[str, Any]]:
        q = select(reports).order_by(reports.c.id)
        if kind is not None:
            q = q.where(reports.c.kind == kind)
        if period is not None:
            q = q.where(reports.c.period == period)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def utilisation_between(self, probe_ids: Iterable[str], lo: datetime, hi: datetime
                            ) -> list[UtilisationHour]:
        q = select(utilisation_hourly).where(
            utilisation_hourly.c.probe_id.in_(list(probe_ids)),
            utilisation_hourly.c.hour >= lo, utilisation_hourly.c.hour < hi,
        ).order_by(utilisation_hourly.c.probe_id, utilisation_hourly.c.metric,
                   utilisation_hourly.c.hour)
        with self.engine.connect() as conn:
            return [UtilisationHour(**r._mapping) for r in conn.execute(q)]

    # --- heartbeats --------------------------------------------------------------------

    def open_session(self, instance: str, now: datetime) -> int:
        with self.engine.begin() as conn:
            new_id = conn.execute(insert(heartbeats).values(
                instance=instance, started_at=now, last_seen_at=now)).inserted_primary_key
        assert new_id is not None
        return int(new_id[0])

    def beat(self, session_id: int, now: datetime) -> None:
        with self.engine.begin() as conn:
            result = conn.execute(update(heartbeats).where(and_(
                heartbeats.c.id == session_id, heartbeats.c.stopped_at.is_(None),
                heartbeats.c.last_seen_at <= now,
            )).values(last_seen_at=now))
            if result.rowcount != 1:
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
            return [(_epoch(r.started_at), _epoch(r.last_seen_at)) for r in conn.execute(q)]

    def sessions(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                select(heartbeats).order_by(heartbeats.c.id))]


def as_dict(row: Any) -> dict[str, Any]:
    """A row dataclass as plain JSON-ready data (datetimes as ISO 8601 UTC)."""
    def conv(v: Any) -> Any:
        if isinstance(v, datetime):
            return v.isoformat()
        if isinstance(v, tuple | list):
            return [conv(x) for x in v]
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        return v
    return {k: conv(v) for k, v in asdict(row).items()}

"""Scheduled maintenance windows, the services they cover and their approvals."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Row, and_, bindparam, func, insert, select, update

from spbe_monitor.errors import BadInput, NotFound, Refused
from spbe_monitor.ledger.audit import audit_in
from spbe_monitor.ledger.evidence import seal
from spbe_monitor.ledger.records import Approval, MaintenanceWindow
from spbe_monitor.ledger.repo import Repo
from spbe_monitor.ledger.tables import (
    maintenance_approvals,
    maintenance_services,
    maintenance_windows,
)


class MaintenanceRepo(Repo):
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
        late_reason: str | None = None,
    ) -> int:
        values = dict(start_at=start, end_at=end, rrule=rrule, timezone=zone, reason=reason,
                      registered_at=now, registered_by=actor, late_reason=late_reason)
        with self.engine.begin() as conn:
            new_id = conn.execute(insert(maintenance_windows).values(**values)).inserted_primary_key
            assert new_id is not None
            wid = int(new_id[0])
            conn.execute(insert(maintenance_services),
                         [{"window_id": wid, "service_id": s} for s in service_ids])
            seal(conn, maintenance_windows, maintenance_windows.c.id == wid, now)
            seal(conn, maintenance_services, maintenance_services.c.window_id == wid, now)
            audit_in(conn, now, actor, "maintenance.add", f"maintenance:{wid}",
                        after={**values, "services": list(service_ids)})
        return wid

    def maintenance(
        self, service_ids: Iterable[str] | None = None, include_cancelled: bool = True,
        window_id: int | None = None, during: tuple[datetime, datetime] | None = None,
    ) -> list[MaintenanceWindow]:
        """Windows covering any of `service_ids`; with `during`, only those that may fall in
        it (overlapping it, found by their end, or recurring): a month's figures then read
        that month's windows, not every one an agency registered in years."""
        w, links_t, approvals_t = maintenance_windows, maintenance_services, maintenance_approvals
        q = select(w).order_by(w.c.id)
        if window_id is not None:
            q = q.where(w.c.id == window_id)
        if not include_cancelled:
            q = q.where(w.c.cancelled_at.is_(None))
        if during is not None:
            lo, hi = during
            q = q.where(self._any_by_index(w, lambda t: t.c.rrule.is_not(None),
                                           lambda t: and_(t.c.end_at > lo, t.c.start_at < hi)))
        wanted = None if service_ids is None else set(service_ids)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
            links: dict[int, list[str]] = defaultdict(list)
            for r in conn.execute(select(links_t).where(links_t.c.window_id.in_(_ids(rows)))
                                  .order_by(links_t.c.service_id)):
                links[r.window_id].append(r.service_id)
            # the services are matched here, on the windows found: a subquery of the links
            # was planned as a scan of every link the ledger holds
            if wanted is not None:
                rows = [r for r in rows if wanted.intersection(links[r.id])]
            approvals: dict[int, list[Approval]] = defaultdict(list)
            for r in conn.execute(select(approvals_t).where(
                    approvals_t.c.window_id.in_(_ids(rows)))):
                approvals[r.window_id].append(Approval(r.service_id, r.approved_by, r.approved_at))
        return [MaintenanceWindow(services=tuple(links[r.id]), approvals=tuple(approvals[r.id]),
                                  **r._mapping) for r in rows]

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
                seal(conn, maintenance_approvals, and_(
                    maintenance_approvals.c.window_id == window_id,
                    maintenance_approvals.c.service_id.in_(new)), now)
            audit_in(conn, now, approver, "maintenance.approve", f"maintenance:{window_id}",
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
            seal(conn, maintenance_windows, maintenance_windows.c.id == window_id, now)
            audit_in(conn, now, actor, "maintenance.cancel", f"maintenance:{window_id}",
                        before={"cancelled_at": None}, after={"cancelled_at": now})


def _ids(rows: Sequence[Row[Any]]) -> BindParameter[list[int]]:
    """The windows' ids, rendered as literals: years of windows would pass SQLite's limit
    of bound parameters."""
    return bindparam("ids", [r.id for r in rows], expanding=True, literal_execute=True)

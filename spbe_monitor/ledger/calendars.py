"""Calendar snapshots: the operating calendar (week, days off, special hours) each filed
month was computed with. Written when a month's Formulir F is first filed, and again only
by a recorded, audited change; the figures of a month with a snapshot are computed from it,
so a holiday added to the config later does not silently change a filed figure."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from spbe_monitor.availability.calendar import Calendar
from spbe_monitor.ledger.audit import audit_in
from spbe_monitor.ledger.evidence import seal
from spbe_monitor.ledger.repo import Repo
from spbe_monitor.ledger.tables import calendar_snapshots


@dataclass(frozen=True)
class CalendarSnapshot:
    service_id: str
    period: str
    calendar: Calendar
    days_off: tuple[dict[str, str], ...]  # Holiday.as_json() of each day off
    frozen_at: datetime
    actor: str
    reason: str | None


class CalendarRepo(Repo):
    def freeze_calendar(self, service_id: str, period: str, calendar: Calendar,
                        days_off: list[dict[str, str]], actor: str, now: datetime,
                        reason: str | None = None, only_if_absent: bool = False) -> bool:
        """Record the month's calendar (audited, sealed); with `only_if_absent`, not over
        an existing one. Returns whether a row was written."""
        with self.engine.begin() as conn:
            before = conn.execute(select(calendar_snapshots).where(
                calendar_snapshots.c.service_id == service_id,
                calendar_snapshots.c.period == period).order_by(
                calendar_snapshots.c.id.desc()).limit(1)).first()
            if before is not None and only_if_absent:
                return False
            row = conn.execute(insert(calendar_snapshots).values(
                service_id=service_id, period=period, calendar=json.dumps(calendar.as_json()),
                days_off=json.dumps(days_off, ensure_ascii=False), frozen_at=now, actor=actor,
                reason=reason)).inserted_primary_key
            assert row is not None
            seal(conn, calendar_snapshots, calendar_snapshots.c.id == row[0], now)
            off = [d["tanggal"] for d in days_off]
            audit_in(conn, now, actor, "calendar.freeze", f"calendar:{service_id}/{period}",
                     before=None if before is None else {
                         "days_off": [d["tanggal"] for d in json.loads(before.days_off)]},
                     after={"days_off": off, **({"reason": reason} if reason else {})})
        return True

    def calendar_snapshots(self, service_ids: list[str], period: str
                           ) -> dict[str, CalendarSnapshot]:
        """The newest snapshot of each service for the month."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(calendar_snapshots).where(
                calendar_snapshots.c.service_id.in_(service_ids),
                calendar_snapshots.c.period == period).order_by(calendar_snapshots.c.id))
            return {r.service_id: _snapshot(r) for r in rows}


def _snapshot(r: Any) -> CalendarSnapshot:
    return CalendarSnapshot(r.service_id, r.period, Calendar.from_json(json.loads(r.calendar)),
                            tuple(json.loads(r.days_off)), r.frozen_at, r.actor, r.reason)

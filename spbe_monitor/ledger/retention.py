"""Retention of what is not evidence: hourly utilisation past the horizon rolled up into
daily rows, and state transitions past it compacted to each subject's last one (its state
at the horizon, all that later months read). Outages, maintenance, approvals, audit and
filed reports are evidence and kept for ever.

Work goes by UTC month, oldest first, a day per transaction and one audit entry per month:
a run killed halfway resumes with the day it was in, and a day done is never done twice
(its hourly rows are gone)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import TextClause, and_, bindparam, delete, func, insert, select, text, update

from spbe_monitor.ledger.audit import audit_in
from spbe_monitor.ledger.evidence import seal
from spbe_monitor.ledger.repo import Repo
from spbe_monitor.ledger.tables import (
    UTCDateTime,
    report_data,
    transitions,
    utilisation_hourly,
)

ACTOR = "spbe-retention"


def month_start(moment: datetime) -> datetime:
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def next_month(start: datetime) -> datetime:
    return datetime(start.year + (start.month == 12), start.month % 12 + 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class RetentionPlan:
    """What the next run will do."""

    horizon: datetime  # whole UTC months before it are rolled up and compacted
    months: tuple[str, ...]
    hourly_rows: int
    transitions: int  # removed; each subject's last one before the horizon stays

    def as_json(self) -> dict[str, Any]:
        return {"horizon": self.horizon.isoformat(), "months": list(self.months),
                "hourly_rows": self.hourly_rows, "transitions_removed": self.transitions}


@dataclass(frozen=True)
class MonthDone:
    month: str
    hourly_rows: int
    daily_rows: int
    transitions: int

    def as_json(self) -> dict[str, Any]:
        return {"month": self.month, "hourly_rows": self.hourly_rows,
                "daily_rows": self.daily_rows, "transitions_removed": self.transitions}


class RetentionRepo(Repo):
    def months_due(self, horizon: datetime) -> tuple[str, ...]:
        """The UTC months before the horizon's that hold hourly rows, by index probes (the
        oldest hour, then one row per month): the nightly run asks this of a ledger with
        tens of millions of hourly rows and must not read them. With none, the month
        before the horizon when some subject has superseded transitions to compact."""
        stop = month_start(horizon)
        h, t = utilisation_hourly, transitions
        months: list[str] = []
        with self.engine.connect() as conn:
            oldest = conn.execute(select(func.min(h.c.hour))).scalar_one()
            lo = None if oldest is None else month_start(oldest)
            while lo is not None and lo < stop:
                hi = next_month(lo)
                if conn.execute(select(h.c.hour).where(h.c.hour >= lo, h.c.hour < hi)
                                .limit(1)).first() is not None:
                    months.append(f"{lo:%Y-%m}")
                lo = hi
            if not months and conn.execute(
                    select(t.c.subject_id).where(t.c.at < stop)
                    .group_by(t.c.subject_type, t.c.subject_id)
                    .having(func.count() > 1).limit(1)).first() is not None:
                months.append(f"{month_start(stop - timedelta(days=1)):%Y-%m}")
        return tuple(months)

    def retention_plan(self, horizon: datetime) -> RetentionPlan:
        """What the next run does, counted on indexes only. The daily rows it will make are
        not foretold: counting them reads every hourly row (minutes at 500 hosts)."""
        stop = month_start(horizon)
        h, t = utilisation_hourly, transitions
        with self.engine.connect() as conn:
            hourly = conn.execute(select(func.count()).select_from(h).where(
                h.c.hour < stop)).scalar_one()
            old = conn.execute(select(func.count()).select_from(t).where(
                t.c.at < stop)).scalar_one()
            kept = conn.execute(select(func.count()).select_from(
                select(t.c.subject_type, t.c.subject_id).where(t.c.at < stop)
                .distinct().subquery())).scalar_one()
        return RetentionPlan(horizon, self.months_due(horizon), int(hourly),
                             int(old) - int(kept))

    def compact(self, month: str, now: datetime, actor: str = ACTOR) -> MonthDone:
        """One UTC month: its hourly rows into daily ones a day per transaction (on a
        500-host SQLite ledger a month is minutes of work, and every other writer — the
        daemon's engine, an official's approval — would wait for it); then its transitions
        down to each subject's last, audited in that same last transaction. A run killed
        inside a month resumes with the days left: a day done has no hourly rows."""
        lo = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
        hi = next_month(lo)
        hourly = daily = 0
        day = lo
        while day < hi:
            rolled, removed = self.roll_up_day(day)
            daily, hourly = daily + rolled, hourly + removed
            day += timedelta(days=1)
        with self.engine.begin() as conn:
            gone = conn.execute(_at(
                "DELETE FROM transitions WHERE at < :hi AND id NOT IN (SELECT id FROM ("
                "SELECT id, ROW_NUMBER() OVER (PARTITION BY subject_type, subject_id "
                "ORDER BY at DESC, id DESC) AS rn FROM transitions WHERE at < :hi) last "
                "WHERE rn = 1)", "hi"), {"hi": hi}).rowcount
            done = MonthDone(month, hourly, daily, int(gone))
            audit_in(conn, now, actor, "retention.month", f"ledger:{month}",
                     after=done.as_json())
        return done

    def roll_up_day(self, day: datetime) -> tuple[int, int]:
        """One UTC day's hourly rows into daily ones: (daily rows made, hourly removed)."""
        bounds = {"lo": day, "hi": day + timedelta(days=1)}
        with self.engine.begin() as conn:
            daily = conn.execute(_at(
                "INSERT INTO utilisation_daily (probe_id, metric, day, samples, avg, max, "
                "max_at, p95) SELECT probe_id, metric, :lo, n, a, mx, max_at, p FROM ("
                "SELECT probe_id, metric, SUM(samples) OVER w AS n, "
                "SUM(avg * samples) OVER w / SUM(samples) OVER w AS a, MAX(max) OVER w AS mx, "
                "max_at, MAX(p95) OVER w AS p, ROW_NUMBER() OVER (PARTITION BY probe_id, "
                "metric ORDER BY max DESC, hour) AS rn FROM utilisation_hourly "
                "WHERE hour >= :lo AND hour < :hi WINDOW w AS (PARTITION BY probe_id, metric)"
                ") ranked WHERE rn = 1", "lo", "hi"), bounds).rowcount
            hourly = conn.execute(delete(utilisation_hourly).where(
                utilisation_hourly.c.hour >= bounds["lo"],
                utilisation_hourly.c.hour < bounds["hi"])).rowcount
        return int(daily), int(hourly)

    def keep_report_data(self, kind: str, subject: str, period: str, data: dict[str, Any],
                         now: datetime) -> bool:
        """The data a final report was filed with (the newest filing wins); sealed."""
        body = json.dumps(data, ensure_ascii=False)
        digest = hashlib.sha256(body.encode()).hexdigest()
        key = (report_data.c.kind == kind, report_data.c.subject == subject,
               report_data.c.period == period)
        with self.engine.begin() as conn:
            old = conn.execute(select(report_data.c.sha256).where(*key)).scalar()
            if old == digest:
                return False
            if old is None:
                conn.execute(insert(report_data).values(kind=kind, subject=subject,
                                                        period=period, data=body,
                                                        sha256=digest, kept_at=now))
            else:
                conn.execute(update(report_data).where(*key).values(data=body, sha256=digest,
                                                                    kept_at=now))
            seal(conn, report_data, and_(*key), now)
        return True

    def kept_report_data(self, kind: str, period: str, subjects: list[str]
                         ) -> dict[str, dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(report_data.c.subject, report_data.c.data).where(
                report_data.c.kind == kind, report_data.c.period == period,
                report_data.c.subject.in_(subjects)))
            return {s: json.loads(d) for s, d in rows}


def _at(sql: str, *times: str) -> TextClause:
    """SQL whose named parameters are ledger times, bound as the ledger's columns are."""
    return text(sql).bindparams(*(bindparam(n, type_=UTCDateTime()) for n in times))


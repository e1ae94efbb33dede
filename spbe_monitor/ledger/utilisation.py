"""Hourly utilisation roll-ups of host metrics (avg, max and when, p95)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, fields, replace
from datetime import datetime
from itertools import starmap

from sqlalchemy import Connection, and_, insert, select, update

from spbe_monitor.ledger.records import UtilisationHour
from spbe_monitor.ledger.repo import Repo
from spbe_monitor.ledger.tables import utilisation_hourly

# in the record's field order, so a row builds it by position: a month-end reads hundreds
# of thousands, and building each by name (`**row._mapping`) was most of Formulir F's time
_COLUMNS = [utilisation_hourly.c[f.name] for f in fields(UtilisationHour)]


def combine(old: UtilisationHour, new: UtilisationHour) -> UtilisationHour:
    """Two roll-ups of the same hour (a restart mid-hour): samples add up, the average is
    weighted, max is kept with its time, p95 takes the larger."""
    n = old.samples + new.samples
    newer_max = new.max > old.max
    return replace(old, samples=n, avg=(old.avg * old.samples + new.avg * new.samples) / n,
                   max=new.max if newer_max else old.max,
                   max_at=new.max_at if newer_max else old.max_at, p95=max(old.p95, new.p95))


def merge_utilisation(conn: Connection, rows: Sequence[UtilisationHour]) -> None:
    """Add hourly roll-ups, combined with what the hour already has."""
    merged: dict[tuple[str, str, datetime], UtilisationHour] = {}
    for r in rows:
        k = (r.probe_id, r.metric, r.hour)
        merged[k] = combine(merged[k], r) if k in merged else r
    for r in merged.values():
        key = and_(utilisation_hourly.c.probe_id == r.probe_id,
                   utilisation_hourly.c.metric == r.metric,
                   utilisation_hourly.c.hour == r.hour)
        old = conn.execute(select(utilisation_hourly).where(key)).first()
        if old is None:
            conn.execute(insert(utilisation_hourly).values(**asdict(r)))
            continue
        both = combine(UtilisationHour(**old._mapping), r)
        conn.execute(update(utilisation_hourly).where(key).values(
            samples=both.samples, avg=both.avg, max=both.max, max_at=both.max_at, p95=both.p95))


class UtilisationRepo(Repo):
    def merge_utilisation(self, rows: Sequence[UtilisationHour]) -> None:
        with self.engine.begin() as conn:
            merge_utilisation(conn, rows)

    def utilisation(self, probe_id: str | None = None) -> list[UtilisationHour]:
        q = select(*_COLUMNS).order_by(utilisation_hourly.c.hour)
        if probe_id is not None:
            q = q.where(utilisation_hourly.c.probe_id == probe_id)
        with self.engine.connect() as conn:
            return list(starmap(UtilisationHour, conn.execute(q)))

    def utilisation_between(self, probe_ids: Iterable[str], lo: datetime, hi: datetime
                            ) -> list[UtilisationHour]:
        """The probes' rows in `[lo, hi)` by probe, metric and hour. Sorted here, not by the
        database: asked to sort, SQLite walks the primary key (probe, metric, hour) through
        every hour ever kept instead of the (probe, hour) index's range."""
        q = select(*_COLUMNS).where(
            utilisation_hourly.c.probe_id.in_(list(probe_ids)),
            utilisation_hourly.c.hour >= lo, utilisation_hourly.c.hour < hi)
        with self.engine.connect() as conn:
            rows = list(starmap(UtilisationHour, conn.execute(q)))
        return sorted(rows, key=lambda r: (r.probe_id, r.metric, r.hour))


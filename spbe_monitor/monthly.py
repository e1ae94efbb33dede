"""The regulation's monthly figures per service, read from the ledger and computed by the
pure formula. One query per table for all services, so a month of 1,000 services is cheap."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from spbe_monitor.availability.calendar import Calendar, commitment, month_bounds
from spbe_monitor.availability.components import state_spans
from spbe_monitor.availability.formula import (
    Figures,
    Notice,
    Shares,
    Unmonitored,
    Verdict,
    Window,
    attribute_month,
    monthly,
)
from spbe_monitor.availability.intervals import Interval, Spans, clip, merge, subtract, total
from spbe_monitor.availability.sites import Away, served_away
from spbe_monitor.config.loader import Config
from spbe_monitor.config.models import Service
from spbe_monitor.errors import BadInput
from spbe_monitor.ledger.sites import switches
from spbe_monitor.ledger.store import MaintenanceWindow, Store
from spbe_monitor.regulation.priority import Impact


@dataclass(frozen=True)
class ServiceMonth:
    service: Service
    period: str  # YYYY-MM
    figures: Figures
    partial: bool  # the month is not over: figures run to now
    full_month_commitment: int  # the whole month's operating seconds, for error budgets
    min_coverage: float = 90.0  # spbe.yaml `min_coverage`: below it, no verdict
    # the days off that took operating time out of this month (Holiday.as_json() each)
    days_off: tuple[dict[str, str], ...] = ()
    calendar_frozen: bool = False  # computed with the calendar kept when it was filed
    # when the month was served from a site other than the primary (a DRP failover):
    # availability was judged on that site's probes then
    served_away: tuple[Away, ...] = ()
    # what the figures were computed from, for the shares (worked out only when printed)
    basis: tuple[Spans, list[tuple[int, list[Interval]]], list[Window], int, int] | None = \
        field(default=None, repr=False, compare=False)

    @cached_property
    def shares(self) -> Shares:
        """Each outage's and window's part of the figures: the rows reports print."""
        return attribute_month(*self.basis) if self.basis else Shares((), ())

    @property
    def verdict(self) -> Verdict:
        return self.figures.verdict(self.service.availability_target, self.min_coverage)

    def as_json(self) -> dict[str, Any]:
        f = self.figures
        target = self.service.availability_target
        return {
            "service": self.service.id,
            "period": self.period,
            "classification": self.service.klass.value,
            "commitment_seconds": f.commitment_seconds,
            "downtime_seconds": f.downtime_seconds,
            "excused_seconds": f.excused_seconds,
            "maintenance_seconds": f.maintenance_seconds,
            "unmonitored_seconds": f.unmonitored_seconds,
            "coverage_percent": f.coverage_percent,
            # a month nobody watched has no figure (never "100")
            "availability_percent": None if self.verdict is Verdict.NOT_MONITORED
            else f.availability_percent,
            "target_percent": target,
            # met only when enough was observed to judge: see `verdict`
            "met": {Verdict.MET: True, Verdict.MISSED: False}.get(self.verdict),
            "verdict": self.verdict.value,
            "min_coverage_percent": self.min_coverage,
            "partial": self.partial,
            "days_off": list(self.days_off),
            "calendar_frozen": self.calendar_frozen,
            **({"served_from": [{"from": a.start.isoformat(), "until": a.until.isoformat(),
                                 "site": a.site, "goes_on": a.goes_on}
                                for a in self.served_away]}
               if self.served_away else {}),
        }


def window_for(w: MaintenanceWindow, service_id: str, notice: Notice) -> Window:
    """A ledger window as the formula sees it for one service (approval is per service)."""
    return Window(start=int(w.start_at.timestamp()), end=int(w.end_at.timestamp()),
                  rrule=w.rrule, zone=w.timezone, registered_at=int(w.registered_at.timestamp()),
                  approved=w.approved_for(service_id), cancelled=w.cancelled_at is not None,
                  notice=notice, key=w.id)


def months_back(year: int, month: int, count: int) -> list[tuple[int, int]]:
    """`count` months ending with (year, month), oldest first."""
    index = year * 12 + month - 1
    return [(i // 12, i % 12 + 1) for i in range(index - count + 1, index + 1)]


def parse_month(text: str) -> tuple[int, int]:
    try:
        year, month = (int(p) for p in text.split("-"))
        if len(text) != 7 or not 1 <= month <= 12 or not 1970 <= year <= 9998:
            raise ValueError
    except ValueError:
        raise BadInput(f"malformed month {text!r}: expected YYYY-MM, e.g. 2026-11") from None
    return year, month


def figures_for_month(
    config: Config, store: Store, year: int, month: int, service_ids: list[str], now: datetime
) -> list[ServiceMonth]:
    services = [config.service(s) for s in service_ids]
    bounds = {s.id: month_bounds(year, month, ZoneInfo(s.zone)) for s in services}
    now_s = int(now.timestamp())
    if services and all(lo >= now_s for lo, _ in bounds.values()):
        raise BadInput(f"{year:04d}-{month:02d} has not started yet")
    lo_all = min((b[0] for b in bounds.values()), default=0)
    hi_all = max((b[1] for b in bounds.values()), default=0)
    lo_dt, hi_dt = (datetime.fromtimestamp(x, UTC) for x in (lo_all, hi_all))

    down = store.outage_spans_by_id(service_ids, lo_dt, hi_dt, Impact.MAYOR.value, now)
    windows: dict[str, list[Window]] = defaultdict(list)
    notice = config.settings.maintenance.notice
    for w in store.maintenance(service_ids, during=(lo_dt, hi_dt)):
        for sid in w.services:
            windows[sid].append(window_for(w, sid, notice))
    observed = merge(store.observed(lo_dt, hi_dt))
    # a service judged unknown (its locations silent, handed over) was not observed then
    blind = store.state_changes(store.ever_unknown(service_ids, hi_dt), lo_dt, hi_dt,
                                subject_type="service")
    period = f"{year:04d}-{month:02d}"
    frozen = store.calendar_snapshots(service_ids, period)
    moved = switches(store.engine)

    out = []
    for svc in services:
        lo, hi = bounds[svc.id]
        partial = now_s < hi
        until = min(hi, now_s)
        snapshot = frozen.get(svc.id)
        calendar, days_off = (snapshot.calendar, snapshot.days_off) if snapshot else \
            month_calendar(config, svc.id, year, month)
        spans = commitment(calendar, svc.zone, year, month)
        committed = clip(spans, lo, until) if partial else spans
        keyed = down.get(svc.id, [])
        # coverage is the time the service's own components were watched: a service with
        # none was never observed, however long the daemon ran
        seen = [] if not svc.components else subtract(
            observed, state_spans(blind[svc.id], "unknown", lo, until)) \
            if svc.id in blind else observed
        figures = monthly(committed, [s for _, piece in keyed for s in piece],
                          windows[svc.id], seen, lo, until,
                          svc.unmonitored or Unmonitored.AVAILABLE)
        out.append(ServiceMonth(svc, period, figures, partial, total(spans),
                                config.settings.min_coverage,
                                basis=(committed, keyed, windows[svc.id], lo, until),
                                days_off=days_off, calendar_frozen=snapshot is not None,
                                served_away=tuple(served_away(
                                    moved, svc.id, datetime.fromtimestamp(lo, UTC),
                                    datetime.fromtimestamp(until, UTC)))))
    return out


def month_calendar(config: Config, service_id: str, year: int, month: int
                   ) -> tuple[Calendar, tuple[dict[str, str], ...]]:
    """The service's calendar for the month as the config resolves it now, and the days off
    in the month that took operating time out (with their names and sources)."""
    calendar = config.calendar(service_id, year, month)
    week = config.services[service_id].operating_hours
    first = date(year, month, 1)
    last = (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)) - \
        timedelta(days=1)
    return calendar, tuple(h.as_json() for h in config.holidays(service_id, first, last)
                           if week[h.day.weekday()])

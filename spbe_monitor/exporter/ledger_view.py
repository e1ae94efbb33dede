"""What the exporter needs from the ledger, refreshed in the background (every few seconds)
so a scrape never waits on the database: month-to-date figures, open outages, and which
services are inside an excusing maintenance window now."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from spbe_monitor.availability.calendar import commitment
from spbe_monitor.availability.intervals import merge
from spbe_monitor.clock import Clock
from spbe_monitor.config.loader import Config
from spbe_monitor.drp.facts import DrpFacts, read_facts
from spbe_monitor.ledger.store import Outage, Store
from spbe_monitor.monthly import ServiceMonth, figures_for_month, window_for

RECENT = 86_400  # how far back a maintenance window's end is worth an overrun alert


@dataclass(frozen=True)
class LedgerView:
    at: datetime | None = None
    months: dict[str, ServiceMonth] = field(default_factory=dict)
    open_outages: dict[str, Outage] = field(default_factory=dict)
    in_maintenance: frozenset[str] = frozenset()
    drp: DrpFacts = field(default_factory=DrpFacts)
    # end of the latest excusing occurrence that has begun, per service, and its window's
    # number: an overrun alert names the window
    last_maintenance_end: dict[str, tuple[int, int]] = field(default_factory=dict)
    in_hours: frozenset[str] = frozenset()  # inside operating hours now (the calendar)


def in_operating_hours(config: Config, service_id: str, now: datetime) -> bool:
    """Whether `now` is committed operating time of the service (its calendar, holidays
    and special hours included): critical alerts page only then."""
    svc = config.services[service_id]
    local = now.astimezone(ZoneInfo(svc.zone))
    ts = int(now.timestamp())
    spans = commitment(config.calendar(service_id, local.year, local.month), svc.zone,
                       local.year, local.month)
    return any(a <= ts < b for a, b in spans)


def read_view(config: Config, store: Store, clock: Clock) -> LedgerView:
    """One consistent read; each service's month is taken in its own zone."""
    now = clock.now()
    by_month: dict[tuple[int, int], list[str]] = {}
    for sid, svc in config.services.items():
        local = now.astimezone(ZoneInfo(svc.zone))
        by_month.setdefault((local.year, local.month), []).append(sid)
    months: dict[str, ServiceMonth] = {}
    for (year, month), ids in by_month.items():
        for fig in figures_for_month(config, store, year, month, ids, now):
            months[fig.service.id] = fig
    open_outages = {o.service_id: o for o in store.outages(list(config.services), now, None)
                    if o.end_at is None}
    ts = int(now.timestamp())
    busy = set()
    last_end: dict[str, tuple[int, int]] = {}
    ids = list(config.services)
    since = now - timedelta(seconds=RECENT)
    recent = store.outage_spans(ids, since, now, "mayor", now)
    for w in store.maintenance(ids, include_cancelled=False,
                               during=(since, now + timedelta(seconds=1))):
        for sid in w.services:
            win = window_for(w, sid, config.settings.maintenance.notice)
            down = merge(recent.get(sid, []))
            if win.excusing(ts, ts + 1, down):
                busy.add(sid)
            begun = [end for start, end in win.excusing(ts - RECENT, ts + 1, down)
                     if start <= ts]
            if begun and max(begun) >= last_end.get(sid, (0, 0))[0]:
                last_end[sid] = (max(begun), w.id)
    return LedgerView(now, months, open_outages, frozenset(busy),
                      read_facts(config, store, clock), last_end,
                      frozenset(sid for sid in config.services
                                if in_operating_hours(config, sid, now)))

"""Everything a Formulir F needs for one service and month, read from the ledger in a few
batched queries (so 100 services cost the same dozen queries as one)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from spbe_monitor.availability.calendar import commitment, month_after, month_bounds
from spbe_monitor.availability.components import component_availability, down_spans
from spbe_monitor.availability.formula import Notice
from spbe_monitor.availability.intervals import Interval, clip, intersect, merge
from spbe_monitor.availability.sites import site_components
from spbe_monitor.config.loader import Config
from spbe_monitor.config.models import Person, Service
from spbe_monitor.errors import BadInput
from spbe_monitor.ledger.store import MaintenanceWindow, Outage, Store, UtilisationHour
from spbe_monitor.monthly import ServiceMonth, figures_for_month, months_back

UTILISATION_KINDS = ("ssh", "snmp", "storage")


@dataclass(frozen=True)
class FormInputs:
    service: Service
    year: int
    month: int
    month_figures: ServiceMonth
    trend: list[ServiceMonth]  # the twelve months ending with this one, oldest first
    outages: list[Outage]
    windows: list[MaintenanceWindow]
    utilisation: list[UtilisationHour]
    kinds: dict[str, str]  # probe id → kind, for each of the service's components
    prepared_by: Person | None
    acknowledged_by: Person | None
    generated_for: datetime  # the month end, or now for a partial report
    notice: Notice = field(default_factory=Notice)  # maintenance registered in advance
    people: dict[str, Person] = field(default_factory=dict)  # who approved what, by NIP
    # each component's own availability over the observed operating time (None: unwatched)
    component_availability: dict[str, Fraction | None] = field(default_factory=dict)
    utilisation_before: list[UtilisationHour] = field(default_factory=list)  # last month
    place: str | None = None  # reports.place: where the form is signed
    # where its components are probed from (spbe.yaml `location`, probes' `locations`)
    locations: tuple[str, ...] = ()
    # Section A's components beyond the service's own: those that judged it at another site
    # while it was served from there (a DRC's servers), with that site
    away_components: dict[str, str] = field(default_factory=dict)

    @property
    def reported(self) -> list[str]:
        """Section A's components: the service's own, then the other sites' ones."""
        return [*self.service.components, *self.away_components]


def away_components(config: Config, svc: Service, month: ServiceMonth) -> dict[str, str]:
    """The probes that judged `svc` at another site in the month and are not its own
    components (site_components: the DRC's standby probes), each with that site."""
    out: dict[str, str] = {}
    for away in month.served_away:
        for pid in site_components(svc, config.probes, away.site):
            if pid not in svc.components:
                out.setdefault(pid, away.site)
    return out


def observed_from(config: Config, svc: Service) -> tuple[str, ...]:
    """The locations a service's components are probed from."""
    here = config.settings.location
    return tuple(sorted({loc for pid in svc.components if pid in config.probes
                         for loc in config.probes[pid].locations or [here]} or {here}))


def _month_before(start: datetime, zone: str) -> datetime:
    """The start of the month before the one starting at `start` (in `zone`)."""
    local = start.astimezone(ZoneInfo(zone))
    y, m = (local.year - 1, 12) if local.month == 1 else (local.year, local.month - 1)
    return datetime(y, m, 1, tzinfo=ZoneInfo(zone))


def _components(config: Config, svc: Service, away: dict[str, str], served: ServiceMonth,
                changes: dict[str, list[tuple[int, str]]], observed: list[Interval],
                year: int, month: int, until: datetime) -> dict[str, Fraction | None]:
    """Each component's availability over the service's observed operating time; another
    site's component over the time that site served it (before, it stood by)."""
    lo, _ = month_bounds(year, month, ZoneInfo(svc.zone))
    hi = int(until.timestamp())
    commit = clip(commitment(config.calendar(svc.id, year, month), svc.zone, year, month),
                  lo, hi)
    out = {}
    for pid in [*svc.components, *away]:
        mine = commit if pid not in away else intersect(commit, merge(
            (int(a.start.timestamp()), int(a.until.timestamp()))
            for a in served.served_away if a.site == away[pid]))
        out[pid] = component_availability(down_spans(changes.get(pid, []), lo, hi), mine,
                                          observed)
    return out


def signatories(config: Config, service_id: str) -> tuple[Person | None, Person | None]:
    """Disiapkan oleh: a Pengelola Teknis of the service; Mengetahui: its Penyedia Layanan."""
    teknis = [p for p in config.people.values()
              if service_id in p.services and "pengelola_teknis" in p.roles]
    penyedia = [p for p in config.people.values()
                if service_id in p.services and "penyedia_layanan" in p.roles]
    return (teknis[0] if teknis else None, penyedia[0] if penyedia else None)


def collect(config: Config, store: Store, year: int, month: int, service_ids: list[str],
            now: datetime) -> list[FormInputs]:
    months = {}
    for y, m in months_back(year, month, 12):
        if (y, m) == (year, month) or datetime(y, m, 1, tzinfo=UTC) <= now:
            try:
                months[(y, m)] = {f.service.id: f for f in figures_for_month(
                    config, store, y, m, service_ids, now)}
            except BadInput:  # not started yet in any service's zone
                if (y, m) == (year, month):
                    raise
                continue
    zones = {sid: ZoneInfo(config.services[sid].zone) for sid in service_ids}
    bounds = {sid: month_bounds(year, month, zones[sid]) for sid in service_ids}
    lo = datetime.fromtimestamp(min(b[0] for b in bounds.values()), UTC)
    hi = datetime.fromtimestamp(max(b[1] for b in bounds.values()), UTC)
    outages: dict[str, list[Outage]] = defaultdict(list)
    for o in store.outages(service_ids, lo, hi):
        outages[o.service_id].append(o)
    windows: dict[str, list[MaintenanceWindow]] = defaultdict(list)
    plan_end = datetime.fromtimestamp(  # Rencana Pemeliharaan reads the month after
        max(month_bounds(*month_after(year, month), zones[sid])[1] for sid in service_ids),
        UTC)
    for w in store.maintenance(service_ids, during=(lo, plan_end)):
        for sid in w.services:
            windows[sid].append(w)
    away = {sid: away_components(config, config.services[sid], months[(year, month)][sid])
            for sid in service_ids}
    reported = {sid: [*config.services[sid].components, *away[sid]] for sid in service_ids}
    host_kinds = {pid: config.probes[pid].kind for sid in service_ids for pid in reported[sid]
                  if pid in config.probes and config.probes[pid].kind in UTILISATION_KINDS}
    usage: dict[str, list[UtilisationHour]] = defaultdict(list)
    before_lo = lo - timedelta(days=31)
    for row in store.utilisation_between(host_kinds, before_lo, hi):
        usage[row.probe_id].append(row)
    components = {pid for sid in service_ids for pid in reported[sid]}
    changes = store.state_changes(components, lo, hi)
    observed = store.observed(lo, hi)
    out = []
    for sid in service_ids:
        svc = config.services[sid]
        figures = months[(year, month)][sid]
        s_lo, s_hi = (datetime.fromtimestamp(x, UTC) for x in bounds[sid])
        prepared, acknowledged = signatories(config, sid)
        out.append(FormInputs(
            service=svc, year=year, month=month, month_figures=figures,
            trend=[months[k][sid] for k in sorted(months) if sid in months[k]],
            outages=[o for o in outages[sid] if o.start_at < s_hi
                     and (o.end_at is None or o.end_at > s_lo)],
            windows=windows[sid],
            utilisation=[r for pid in reported[sid] for r in usage.get(pid, [])
                         if s_lo <= r.hour < s_hi],
            utilisation_before=[r for pid in reported[sid] for r in usage.get(pid, [])
                                if r.hour < s_lo and r.hour >= _month_before(s_lo, svc.zone)],
            component_availability=_components(config, svc, away[sid], figures, changes,
                                               observed, year, month, min(now, s_hi)),
            kinds={pid: config.probes[pid].kind for pid in reported[sid]
                   if pid in config.probes},
            prepared_by=prepared, acknowledged_by=acknowledged,
            generated_for=min(now, s_hi), notice=config.settings.maintenance.notice,
            people=config.people, place=config.settings.reports.place,
            locations=observed_from(config, svc), away_components=away[sid],
        ))
    return out

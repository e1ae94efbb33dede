"""Manual changes to the ledger: checked in full before anything is written, authorised
in the one room (`authority.Authority`), and audited (who, when, what, before and after)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from spbe_monitor.authority import Acting, Authority
from spbe_monitor.availability.formula import Late, Window
from spbe_monitor.availability.recurrence import validate_rrule
from spbe_monitor.availability.sites import PRIMARY
from spbe_monitor.clock import Clock
from spbe_monitor.config.loader import Config
from spbe_monitor.config.models import Service
from spbe_monitor.errors import BadInput
from spbe_monitor.ledger import sites
from spbe_monitor.ledger.store import MaintenanceWindow, Store
from spbe_monitor.regulation.priority import Impact, priority
from spbe_monitor.timeparse import parse_time

MAX_TEXT = 2000  # characters of a cause or reason: a paragraph of a form, not a file


@dataclass(frozen=True)
class Recorded:
    """A downtime entry, and the outages already in the ledger it overlaps."""

    id: int
    overlaps: tuple[int, ...]


@dataclass(frozen=True)
class Desk:
    """What a manual change needs: the config (services, people), the ledger and the clock."""

    config: Config
    store: Store
    clock: Clock

    @property
    def authority(self) -> Authority:
        return Authority(self.config, self.store, self.clock)

    def _text(self, value: str, what: str) -> str:
        """A cause or reason an official reads in a form: one paragraph, not a file."""
        if not value.strip():
            raise BadInput(f"{what} must not be empty")
        if len(value.strip()) > MAX_TEXT:
            raise BadInput(f"{what} has {len(value.strip()):,} characters; at most "
                           f"{MAX_TEXT:,}")
        return value.strip()

    def add_downtime(
        self, service_id: str, start: str, end: str, cause: str, who: Acting
    ) -> Recorded:
        """Downtime no probe saw. Recorded also when it overlaps outages already in the
        ledger (the formula counts the time once), and says which: likely a duplicate."""
        svc = self.config.service(service_id)
        actor = self.authority.downtime_change(who, "downtime.add", [svc.id],
                                               f"service:{svc.id}")
        start_at = parse_time(start, svc.zone, "start")
        end_at = parse_time(end, svc.zone, "end")
        now = self.clock.now()
        if end_at <= start_at:
            raise BadInput("end must be after start")
        if end_at > now:
            raise BadInput("downtime in the future cannot be recorded (its end is after now)")
        prio = priority(Impact.MAYOR, svc.nature, svc.klass)
        before = tuple(o.id for o in self.store.outages([svc.id], start_at, end_at))
        return Recorded(self.store.add_manual_outage(
            svc.id, start_at, end_at, Impact.MAYOR.value, prio.value,
            self._text(cause, "cause"), actor, now), before)

    def switch_site(self, service_id: str, site: str, reason: str, who: Acting) -> None:
        """Record that the service is served from `site` from now on (a failover or a
        return done outside a DRP run): its availability is judged on that site's probes."""
        svc = self.config.service(service_id)
        actor = self.authority.site_switch(who, svc.id)
        known = {PRIMARY, *(self.config.probes[p].labels.get("site", "") for p in svc.standby
                            if p in self.config.probes)} - {""}
        if site not in known:
            raise BadInput(f"{svc.id} has no probes at site {site!r}: the sites it can be "
                           f"served from are {', '.join(sorted(known))} (standby probes "
                           "labelled site: …)")
        why = self._text(reason, "reason")
        now = self.clock.now()
        with self.store.engine.begin() as conn:
            if (sites.current_site(conn, svc.id) or PRIMARY) == site:
                raise BadInput(f"{svc.id} is served from site {site} already")
            sites.record(conn, svc.id, site, now, now, actor, why)

    def annotate(self, outage_id: int, cause: str, who: Acting) -> None:
        outage = self.store.outage(outage_id)
        actor = self.authority.downtime_change(who, "downtime.annotate", [outage.service_id],
                                               f"outage:{outage_id}")
        self.store.annotate_outage(outage_id, self._text(cause, "cause"), actor,
                                   self.clock.now())

    def add_maintenance(
        self,
        service_ids: Sequence[str],
        start: str,
        end: str,
        rrule: str | None,
        reason: str,
        who: Acting,
    ) -> tuple[int, Late | None]:
        """Register a window; returns its id and why it is late (None: scheduled)."""
        if not service_ids:
            raise BadInput("name at least one service")
        services = [self.config.service(s) for s in dict.fromkeys(service_ids)]
        zones = {s.zone for s in services}
        zone = zones.pop() if len(zones) == 1 else None
        start_at = parse_time(start, zone, "start")
        end_at = parse_time(end, zone, "end")
        if end_at <= start_at:
            raise BadInput("end must be after start")
        if rrule is not None:
            try:
                validate_rrule(rrule)
            except (ValueError, TypeError) as exc:
                raise BadInput(f"rrule: {exc}") from None
        reason = self._text(reason, "reason")
        actor = self.authority.maintenance_change(who, "maintenance.add",
                                                  [s.id for s in services], "maintenance:new")
        now = self.clock.now()
        # The rule repeats in the services' zone (or the offset's, when zones differ).
        rule_zone = zone or services[0].zone
        late = self._late(services, start_at, end_at, now)
        wid = self.store.add_maintenance(
            [s.id for s in services], start_at, end_at, rrule, rule_zone, reason, actor, now,
            late.value if late else None)
        return wid, late

    def _late(self, services: Sequence[Service], start: datetime, end: datetime,
              now: datetime) -> Late | None:
        """The first occurrence judged as the formula will, on what is known now: notice,
        length, and an outage going on at registration that overlaps the occurrence. An open
        outage is known to last until now only: a window a week ahead is scheduled, and
        only if that outage is still going on when the occurrence begins does the month's
        figure (the formula, on the outages as they were) count the occurrence as late."""
        known = int(now.timestamp()) + 1
        down = [(int(o.start_at.timestamp()), known) for o in self.store.outages(
            [s.id for s in services], now, None) if o.end_at is None]
        window = Window(int(start.timestamp()), int(end.timestamp()), None, "UTC",
                        int(now.timestamp()), approved=False,
                        notice=self.config.settings.maintenance.notice)
        return window.judge(window.start, window.end, down)

    def approve_maintenance(self, window_id: int, who: Acting) -> list[str]:
        window = self.store.window(window_id)
        allowed = self.authority.maintenance_approval(who, window_id, window.services)
        self.store.approve_maintenance(window_id, allowed, who.actor, self.clock.now())
        return allowed

    def cancel_maintenance(self, window_id: int, who: Acting) -> MaintenanceWindow:
        window = self.store.window(window_id)
        actor = self.authority.maintenance_change(who, "maintenance.cancel", window.services,
                                                  f"maintenance:{window_id}")
        self.store.cancel_maintenance(window_id, actor, self.clock.now())
        return self.store.window(window_id)

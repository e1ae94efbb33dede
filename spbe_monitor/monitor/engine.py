"""The monitor: probe results → component hysteresis → service status → ledger writes.

Outages open when a service goes down (impact Mayor) or degraded (Minor), dated from the
first failed check of the confirming streak, with priority and deadlines from the
regulation's matrix. Probing goes on during maintenance: the formula excuses it later.
Every change leaves as a typed write (`ledger.writes`) handed to `submit`, which the daemon
wires to the durable writer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from spbe_monitor.availability.sites import PRIMARY, Switch, site_components
from spbe_monitor.clock import Clock
from spbe_monitor.config.loader import Config
from spbe_monitor.config.models import Service
from spbe_monitor.ledger.records import TransitionRow
from spbe_monitor.ledger.writes import CloseOutage, OpenOutage, Transitions, Utilisation, Write
from spbe_monitor.monitor.rollup import HourlyRollup
from spbe_monitor.monitor.state import ComponentState, Health, ServiceState, Transition
from spbe_monitor.monitor.vantage import Vantage
from spbe_monitor.probers.base import ProbeResult, ProbeSettings
from spbe_monitor.regulation.priority import TARGETS, Impact, priority

log = logging.getLogger("spbe.monitor")
UTILISATION_KINDS = {"ssh", "snmp", "storage"}
SWITCH_WAIT = timedelta(minutes=1)  # the longest a site switch waits for our own checks
IMPACT = {Health.DOWN: Impact.MAYOR, Health.DEGRADED: Impact.MINOR}
Submit = Callable[[Write], None]


class Monitor:
    def __init__(self, config: Config, submit: Submit, clock: Clock,
                 previous: Monitor | None = None,
                 gone: str = "removed from configuration",
                 sites: Mapping[str, Switch] | None = None) -> None:
        self.config = config
        self._gone = gone  # why a service of `previous` is not here any more
        self.submit = submit
        self.clock = clock
        self.rollup: HourlyRollup = previous.rollup if previous else HourlyRollup()
        self.location = config.settings.location
        self.components: dict[str, ComponentState | Vantage] = {
            pid: self._judge(p) for pid, p in config.probes.items()}
        # the site serving each switched service (availability/sites.py): its probes judge it
        self.sites: dict[str, Switch] = dict(previous.sites if previous else sites or {})
        self.services = {
            sid: ServiceState(sid, s.require, self._judging(s))
            for sid, s in config.services.items() if s.components
        }
        self._pending: list[TransitionRow] = [] if previous is None else previous._pending
        self._services_of: dict[str, list[str]] = {}
        self._switching: dict[str, Switch] = {}  # switches waiting for fresh observations
        self._index()
        if previous is not None:
            self._carry_over(previous)

    def _judging(self, svc: Service) -> list[str]:
        site = self.sites[svc.id].site if svc.id in self.sites else PRIMARY
        return site_components(svc, self.config.probes, site) or list(svc.components)

    def _index(self) -> None:
        self._services_of.clear()
        for sid, st in self.services.items():
            for pid in st.components:
                self._services_of.setdefault(pid, []).append(sid)

    def site(self, service_id: str) -> str:
        return self.sites[service_id].site if service_id in self.sites else PRIMARY

    def switch_site(self, switch: Switch, at_start: bool = False) -> None:
        """The ledger says the service is served from another site from `switch.at` on:
        judged on that site's probes from then (an outage closes at that moment if they
        pass). A switch older than the one in effect changes nothing. `at_start`: the
        switches the ledger holds when the daemon starts, applied before anything is
        judged (waiting would judge a service served from the DRC on its dead primary)."""
        held = self.sites.get(switch.service_id)
        if held is not None and switch.at < held.at:
            return
        self.sites[switch.service_id] = switch
        self._switching[switch.service_id] = switch
        self._try_switch(switch.service_id, at_start)

    def _try_switch(self, service_id: str, at_once: bool = False) -> None:
        """Apply a switch once this daemon has observed the new site's probes at or after
        its moment (the runner's gate probes on its own, a check or so ahead of ours: a
        state from before the switch would judge the site on stale results), or after
        SWITCH_WAIT whatever it has."""
        switch = self._switching[service_id]
        st = self.services.get(service_id)
        svc = self.config.services.get(service_id)
        judging = self._judging(svc) if svc is not None else []
        if st is None or svc is None or judging == st.components:
            del self._switching[service_id]  # another member judges it, or nothing changes
            return
        seen = [self.components[p].last_at for p in judging if p in self.components]
        if not at_once and any(t is None or t < switch.at for t in seen) \
                and self.clock.now() - switch.at < SWITCH_WAIT:
            return
        del self._switching[service_id]
        log.info("service %s: served from site %s since %s", svc.id, switch.site,
                 switch.at.isoformat())
        st.components = judging
        self._index()
        change = st.evaluate(self.components, Transition(
            svc.id, st.health, st.health, switch.at, f"served from site {switch.site}"))
        if change is not None:
            self._service_changed(change)

    def _carry_over(self, previous: Monitor) -> None:
        """After a reload: unchanged probes and services keep their state (and so their
        open outages). A new or changed service is judged at once from its components'
        current states; a removed one has its open outage closed now, flagged."""
        now = self.clock.now()
        for pid, state in previous.components.items():
            if pid in self.components and previous.config.probes[pid] == self.config.probes[pid]:
                self.components[pid] = state
            elif state.health is not Health.UNKNOWN:  # judged afresh from here
                self._pending.append(TransitionRow(
                    "component", pid, now, state.health.value, Health.UNKNOWN.value,
                    self._gone if pid not in self.components else "probe settings changed"))
        for sid, svc in previous.services.items():
            new = self.services.get(sid)
            if new is None:
                self._removed(previous.config.services[sid], svc, now)
                continue
            if (new.require, new.components) == (svc.require, svc.components):
                self.services[sid] = svc
            else:  # same incident as long as the health stays what it was
                new.health, new.since = svc.health, svc.since
        for sid, st in self.services.items():
            if st is previous.services.get(sid):
                continue
            change = st.evaluate(self.components, Transition(sid, st.health, st.health, now,
                                                             "configuration reloaded"))
            if change is not None:
                self._service_changed(change)

    def _removed(self, svc: Service, state: ServiceState, now: datetime) -> None:
        if state.health in IMPACT:
            log.warning("service %s %s while %s: its outage closes now", svc.id, self._gone,
                        state.health)
            self.submit(CloseOutage(svc.id, now, unobserved=True))
        self._pending.append(TransitionRow("service", svc.id, now, state.health.value,
                                           Health.UNKNOWN.value, self._gone))

    def _judge(self, p: ProbeSettings) -> ComponentState | Vantage:
        """One location's hysteresis, or a Vantage when it is probed from elsewhere too."""
        if not p.locations or p.locations == [self.location]:
            return ComponentState(p.id, p.failures_to_down, p.successes_to_up)
        silence = {loc: self.config.settings.locations[loc].silence
                   if loc in self.config.settings.locations else max(
                       3 * p.interval, timedelta(seconds=30)) for loc in p.locations}
        return Vantage(p.id, {loc: ComponentState(p.id, p.failures_to_down,
                                                  p.successes_to_up) for loc in p.locations},
                       p.quorum, silence,
                       self.location if self.location in p.locations else None)

    def on_result(self, cfg: ProbeSettings, result: ProbeResult, at: datetime,
                  location: str | None = None) -> None:
        """A check's result, from here or (`location`) from an agent."""
        if cfg.kind in UTILISATION_KINDS and result.values and location is None:
            hours = self.rollup.add(cfg.id, result.values, at)
            if hours:
                self.submit(Utilisation(tuple(hours)))
        state = self.components.get(cfg.id)
        if state is None:
            return
        if isinstance(state, Vantage):
            for combined in state.offer(location or self.location, result, at,
                                        self.clock.now()):
                self._component_changed(combined)
            return
        if location not in (None, self.location):
            return
        change = state.observe(result, at)
        if change is not None:
            self._component_changed(change)

    def tick(self) -> None:
        """Every second: a location fallen silent lets the others' results through; a
        site switch applies once the new site has been observed."""
        now = self.clock.now()
        for sid in list(self._switching):
            self._try_switch(sid)
        for state in self.components.values():
            if isinstance(state, Vantage):
                for change in state.drain(now):
                    self._component_changed(change)

    def down_from(self, service_id: str) -> tuple[str, ...]:
        """The locations that see the service's down components down."""
        places: set[str] = set()
        for pid in self.services[service_id].components:
            state = self.components[pid]
            if state.health is Health.DOWN:
                places.update(state.down_from if isinstance(state, Vantage)
                              else (self.location,))
        return tuple(sorted(places))

    def _component_changed(self, change: Transition) -> None:
        cfg_id = change.subject
        log.info("component %s: %s → %s (%s)", cfg_id, change.old, change.new, change.message)
        self._pending.append(TransitionRow("component", change.subject, change.since,
                                           change.old.value, change.new.value, change.message))
        for sid in self._services_of.get(cfg_id, []):
            svc_change = self.services[sid].evaluate(self.components, change)
            if svc_change is not None:
                self._service_changed(svc_change)

    def _service_changed(self, change: Transition) -> None:
        svc = self.config.services[change.subject]
        log.info("service %s: %s → %s since %s", svc.id, change.old, change.new,
                 change.since.isoformat())
        self._pending.append(TransitionRow("service", svc.id, change.since, change.old.value,
                                           change.new.value, change.message))
        if change.old in IMPACT:  # into unknown: closed unobserved, it may go on
            self.submit(CloseOutage(svc.id, change.since,
                                    unobserved=change.new is Health.UNKNOWN))
        if change.new in IMPACT:
            impact = IMPACT[change.new]
            prio = priority(impact, svc.nature, svc.klass)
            targets = TARGETS[prio]
            self.submit(OpenOutage(
                svc.id, change.since, impact.value, prio.value,
                change.since + targets.response, change.since + targets.resolution,
                change.message, self.clock.now(), continues=change.old is Health.UNKNOWN,
                seen_from=self.down_from(svc.id)))

    def flush_transitions(self) -> None:
        """Hand buffered transitions over as one write (called every second): a burst of
        thousands, as at start-up, costs one commit instead of thousands."""
        rows, self._pending = self._pending, []
        if rows:
            self.submit(Transitions(tuple(rows)))

    def flush(self) -> None:
        """On shutdown: pending transitions and partial hours go to the ledger."""
        self.flush_transitions()
        hours = self.rollup.drain()
        if hours:
            self.submit(Utilisation(tuple(hours)))

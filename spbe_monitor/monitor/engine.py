"""The monitor: probe results → component hysteresis → service status → ledger.

Outages open when a service goes down (impact Mayor) or degraded (Minor), dated from the
first failed check of the confirming streak, with priority and deadlines from the
regulation's matrix. Probing goes on during maintenance: the formula excuses it later.
"""

from __future__ import annotations

import logging
from datetime import datetime

from spbe_monitor.clock import Clock
from spbe_monitor.config.loader import Config
from spbe_monitor.ledger.store import Store
from spbe_monitor.monitor.recorder import Recorder
from spbe_monitor.monitor.rollup import HourlyRollup
from spbe_monitor.monitor.state import ComponentState, Health, ServiceState, Transition
from spbe_monitor.probers.base import ProbeResult, ProbeSettings
from spbe_monitor.regulation.priority import TARGETS, Impact, priority

log = logging.getLogger("spbe.monitor")
UTILISATION_KINDS = {"ssh", "snmp", "storage"}
IMPACT = {Health.DOWN: Impact.MAYOR, Health.DEGRADED: Impact.MINOR}


class Monitor:
    def __init__(self, config: Config, store: Store, recorder: Recorder, clock: Clock,
                 previous: Monitor | None = None) -> None:
        self.config = config
        self.store = store
        self.recorder = recorder
        self.clock = clock
        self.rollup = HourlyRollup()
        self.components = {
            pid: ComponentState(pid, p.failures_to_down, p.successes_to_up)
            for pid, p in config.probes.items()
        }
        self.services = {
            sid: ServiceState(sid, s.require, list(s.components))
            for sid, s in config.services.items() if s.components
        }
        self._pending: list[tuple[str, str, datetime, str, str, str]] = []
        if previous is not None:
            self._carry_over(previous)
        self._services_of: dict[str, list[str]] = {}
        for sid, st in self.services.items():
            for pid in st.components:
                self._services_of.setdefault(pid, []).append(sid)

    def _carry_over(self, previous: Monitor) -> None:
        """After a reload, unchanged probes and services keep their state (and so their
        open outages); changed ones start afresh."""
        for pid, state in previous.components.items():
            if pid in self.components and previous.config.probes[pid] == self.config.probes[pid]:
                self.components[pid] = state
        for sid, svc in previous.services.items():
            new = self.services.get(sid)
            if new is not None and (new.require, new.components) == (svc.require, svc.components):
                self.services[sid] = svc

    def on_result(self, cfg: ProbeSettings, result: ProbeResult, at: datetime) -> None:
        if cfg.kind in UTILISATION_KINDS and result.values:
            hours = self.rollup.add(cfg.id, result.values, at)
            if hours:
                self.recorder.submit(lambda: self.store.merge_utilisation(hours))
        state = self.components.get(cfg.id)
        if state is None:
            return
        change = state.observe(result, at)
        if change is None:
            return
        log.info("component %s: %s → %s (%s)", cfg.id, change.old, change.new, change.message)
        rows = [("component", change.subject, change.since, change.old.value, change.new.value,
                 change.message)]
        for sid in self._services_of.get(cfg.id, []):
            svc_change = self.services[sid].evaluate(self.components, change)
            if svc_change is not None:
                rows.append(("service", sid, svc_change.since, svc_change.old.value,
                             svc_change.new.value, svc_change.message))
                self._outage(svc_change)
        self._pending.extend(rows)

    def _outage(self, change: Transition) -> None:
        svc = self.config.services[change.subject]
        log.info("service %s: %s → %s since %s", svc.id, change.old, change.new,
                 change.since.isoformat())
        if change.old in IMPACT:
            self.recorder.submit(lambda: self.store.close_outage(svc.id, change.since))
        if change.new in IMPACT:
            impact = IMPACT[change.new]
            prio = priority(impact, svc.nature, svc.klass)
            targets = TARGETS[prio]
            deadlines = (change.since + targets.response, change.since + targets.resolution)
            self.recorder.submit(lambda: self.store.open_outage(
                svc.id, change.since, impact.value, prio.value, deadlines, change.message,
                self.clock.now()))

    def flush_transitions(self) -> None:
        """Write buffered transitions in one transaction (called every second): a burst of
        thousands, as at start-up, costs one commit instead of thousands."""
        rows, self._pending = self._pending, []
        if rows:
            self.recorder.submit(lambda: self.store.record_transitions(rows))

    def flush(self) -> None:
        """On shutdown: pending transitions and partial hours go to the ledger."""
        self.flush_transitions()
        hours = self.rollup.drain()
        if hours:
            self.recorder.submit(lambda: self.store.merge_utilisation(hours))

"""The metric families, built fresh from the daemon's state on every scrape (never the
global registry). Label values are bounded by the configuration: probe, service, phase,
mount and interface names, never free text.

Month-to-date seconds are gauges: they restart at each month, which is what the
regulation's formula needs (availability = 1 − downtime / committed), not a rate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.metrics_core import Metric as RawMetric
from prometheus_client.registry import Collector

from spbe_monitor import __version__, refusals
from spbe_monitor.cluster.member import ClusterView
from spbe_monitor.config.loader import Config
from spbe_monitor.exporter.ledger_view import LedgerView
from spbe_monitor.ledger.durable import WriterHealth
from spbe_monitor.monitor.engine import Monitor
from spbe_monitor.monitor.runner import Runner
from spbe_monitor.monitor.state import Health
from spbe_monitor.monitor.vantage import Vantage
from spbe_monitor.reports.words import waktu

HOST_METRICS = {  # probe value name → (metric, label for the suffix, scale)
    "cpu_used_percent": ("spbe_host_cpu_used_ratio", None, 0.01),
    "memory_used_percent": ("spbe_host_memory_used_ratio", None, 0.01),
    "swap_used_percent": ("spbe_host_swap_used_ratio", None, 0.01),
    "load1": ("spbe_host_load1", None, 1.0),
    "uptime_seconds": ("spbe_host_uptime_seconds", None, 1.0),
    "disk_used_percent": ("spbe_host_disk_used_ratio", "mount", 0.01),
    "inode_used_percent": ("spbe_host_inode_used_ratio", "mount", 0.01),
    "net_rx_bytes_per_second": ("spbe_host_network_receive_bytes_per_second", "interface", 1.0),
    "net_tx_bytes_per_second": ("spbe_host_network_transmit_bytes_per_second", "interface",
                                1.0),
    "net_rx_bits_per_second": ("spbe_host_network_receive_bytes_per_second", "interface",
                               0.125),
    "net_tx_bits_per_second": ("spbe_host_network_transmit_bytes_per_second", "interface",
                               0.125),
    "bandwidth_used_percent": ("spbe_network_bandwidth_used_ratio", "interface", 0.01),
    "if_up": ("spbe_network_interface_up", "interface", 1.0),
}
PRIORITY_NUMBER = {f"P{i}": i for i in range(1, 7)}


@dataclass
class DaemonFacts:
    """What the collector reads besides the monitor: the runner and reload bookkeeping."""

    runner: Runner | None
    reload_ok: bool | None
    reload_at: float | None
    ledger: WriterHealth | None = None
    config: Config | None = None  # every service, where the monitor has its own only
    leads: bool = True  # alone, or the cluster's leader: the ledger figures are ours
    cluster: ClusterView | None = None


class SpbeCollector(Collector):
    def __init__(self, monitor: Callable[[], Monitor], view: Callable[[], LedgerView],
                 facts: Callable[[], DaemonFacts]) -> None:
        self._monitor, self._view, self._facts = monitor, view, facts

    def collect(self) -> Iterator[Metric]:
        mon, view, facts = self._monitor(), self._view(), self._facts()
        yield from self._probes(mon)
        yield from self._locations(mon)
        yield from self._services(mon, view, facts)
        yield from self._hosts(mon)
        if facts.leads:
            yield from self._drp(facts.config or mon.config, view)
        yield from self._daemon(facts)
        if facts.cluster is not None:
            yield from self._cluster(facts.cluster)

    def _probes(self, mon: Monitor) -> Iterator[Metric]:
        success = GaugeMetricFamily("spbe_probe_success", "1 if the last check passed (per "
                                    "location it is probed from)",
                                    labels=["probe", "kind", "location"])
        duration = GaugeMetricFamily("spbe_probe_duration_seconds",
                                     "Seconds of the last check, per phase and in total",
                                     labels=["probe", "phase", "location"])
        expiry = GaugeMetricFamily("spbe_probe_tls_cert_expiry_timestamp_seconds",
                                   "notAfter of the certificate the probe saw",
                                   labels=["probe"])
        up = GaugeMetricFamily("spbe_component_up", "1 if the component passes (after "
                               "hysteresis)", labels=["probe"])
        degraded = GaugeMetricFamily("spbe_component_degraded",
                                     "1 if the component passes but crosses a threshold",
                                     labels=["probe"])
        observed = GaugeMetricFamily("spbe_probe_observed_timestamp_seconds",
                                     "When the newest observation was true: the check's start, "
                                     "or a Prometheus sample's own time", labels=["probe"])
        every = GaugeMetricFamily("spbe_probe_interval_seconds", "How often it is checked",
                                  labels=["probe"])
        for pid, state in mon.components.items():
            kind = mon.config.probes[pid].kind
            every.add_metric([pid], mon.config.probes[pid].interval.total_seconds())
            if state.last_at is not None:
                observed.add_metric([pid], state.last_at.timestamp())
            lasts = [(loc, st.last) for loc, st in state.states.items()] \
                if isinstance(state, Vantage) else [(mon.location, state.last)]
            for loc, last in lasts:
                if last is None:
                    continue
                success.add_metric([pid, kind, loc], 1.0 if last.ok else 0.0)
                duration.add_metric([pid, "total", loc], last.duration_s)
                for phase, seconds in last.phases.items():
                    duration.add_metric([pid, phase, loc], seconds)
            if state.last is not None and "tls_cert_expiry_timestamp_seconds" in \
                    state.last.values:
                expiry.add_metric([pid], state.last.values["tls_cert_expiry_timestamp_seconds"])
            if state.health is not Health.UNKNOWN:
                up.add_metric([pid], 1.0 if state.health.passing else 0.0)
                degraded.add_metric([pid], 1.0 if state.health is Health.DEGRADED else 0.0)
        yield from (success, duration, expiry, up, degraded, observed, every)

    def _services(self, mon: Monitor, view: LedgerView, facts: DaemonFacts
                  ) -> Iterator[Metric]:
        """Health of the services this daemon judges; the configured and ledger figures
        of every service from the daemon that leads (in a cluster, once)."""
        def gauge(name: str, doc: str) -> GaugeMetricFamily:
            return GaugeMetricFamily(name, doc, labels=["service"])

        up = gauge("spbe_service_up", "1 if the service passes its require rule")
        degraded = gauge("spbe_service_degraded", "1 if passing with a component in trouble")
        maint = gauge("spbe_service_in_maintenance", "1 inside a scheduled maintenance window")
        target = gauge("spbe_service_availability_target_ratio", "Target (Formulir C)")
        committed = gauge("spbe_service_month_committed_seconds",
                          "Komitmen Ketersediaan Layanan so far this month")
        down = gauge("spbe_service_month_downtime_seconds",
                     "Counted downtime so far this month (maintenance excused)")
        excused = gauge("spbe_service_month_excused_seconds",
                        "Outage time inside scheduled maintenance this month")
        unmon = gauge("spbe_service_month_unmonitored_seconds",
                      "Operating time this month that nobody observed")
        ratio = gauge("spbe_service_month_availability_ratio",
                      "Month-to-date availability by the regulation's formula")
        coverage = gauge("spbe_service_month_coverage_ratio",
                         "Share of this month's operating time whose state is known "
                         "(absent while nothing is committed yet)")
        maint_end = GaugeMetricFamily(
            "spbe_service_last_maintenance_end_timestamp_seconds", "When the latest scheduled "
            "maintenance that has begun ends (or ended), within the last day, and its window",
            labels=["service", "window"])
        hours = gauge("spbe_service_in_operating_time",
                      "1 inside the service's operating hours now (its calendar): critical "
                      "alerts page only then")
        info = GaugeMetricFamily("spbe_service_info", "1 per service, naming it (for "
                                 "messages)", labels=["service", "name", "classification"])
        since = gauge("spbe_service_open_outage_start_timestamp_seconds",
                      "When the open outage began (the ledger's first failed check)")
        said = GaugeMetricFamily(
            "spbe_service_open_outage_info", "1 for the open outage, with what a message "
            "says of it (its number, priority, start and resolution deadline in the "
            "service's zone)", labels=["service", "outage", "priority", "since", "resolve_by"])
        budget = gauge("spbe_service_error_budget_remaining_seconds",
                       "Downtime the month can still absorb and meet the target")
        prio = gauge("spbe_service_open_outage_priority",
                     "Priority number (1 = P1) of the open outage, absent when none")
        resolve = gauge("spbe_service_open_outage_resolve_by_timestamp_seconds",
                        "Resolution deadline of the open outage")
        rto = gauge("spbe_drp_rto_target_seconds", "RTO target (Formulir C)")
        rpo = gauge("spbe_drp_rpo_target_seconds", "RPO target (Formulir C)")
        member = GaugeMetricFamily("spbe_service_component",
                                   "1 for each component a service needs at the site that "
                                   "serves it now (for joins)", labels=["service", "probe"])
        serving = GaugeMetricFamily("spbe_service_site",
                                    "1 for the site serving the service (secondary after a "
                                    "DRP failover)", labels=["service", "site"])
        for sid, st in mon.services.items():
            if st.health is not Health.UNKNOWN:
                up.add_metric([sid], 1.0 if st.health.passing else 0.0)
                degraded.add_metric([sid], 1.0 if st.health is Health.DEGRADED else 0.0)
        every = (facts.config or mon.config).services if facts.leads else {}
        for sid, svc in every.items():
            maint.add_metric([sid], 1.0 if sid in view.in_maintenance else 0.0)
            hours.add_metric([sid], 1.0 if sid in view.in_hours else 0.0)
            info.add_metric([sid, svc.name, svc.klass.label], 1.0)
            judged = mon.services.get(sid)
            for pid in judged.components if judged else svc.components:
                member.add_metric([sid, pid], 1.0)
            serving.add_metric([sid, mon.site(sid)], 1.0)
            if svc.rto is not None:
                rto.add_metric([sid], svc.rto.total_seconds())
            if svc.rpo is not None:
                rpo.add_metric([sid], svc.rpo.total_seconds())
            if svc.availability_target is not None:
                target.add_metric([sid], svc.availability_target / 100)
            month = view.months.get(sid)
            if month is not None:
                f = month.figures
                committed.add_metric([sid], f.commitment_seconds)
                down.add_metric([sid], f.downtime_seconds)
                excused.add_metric([sid], f.excused_seconds)
                unmon.add_metric([sid], f.unmonitored_seconds)
                if f.availability is not None:
                    ratio.add_metric([sid], float(f.availability))
                if f.coverage_percent is not None:
                    coverage.add_metric([sid], f.coverage_percent / 100)
                if svc.availability_target is not None:
                    # the whole month's commitment: what is left of the allowance
                    full = month.full_month_commitment
                    allowed = full * (1 - svc.availability_target / 100)
                    budget.add_metric([sid], allowed - f.downtime_seconds)
            if sid in view.last_maintenance_end:
                end, window = view.last_maintenance_end[sid]
                maint_end.add_metric([sid, str(window)], end)
            outage = view.open_outages.get(sid)
            if outage is not None:
                prio.add_metric([sid], PRIORITY_NUMBER.get(outage.priority, 0))
                since.add_metric([sid], outage.start_at.timestamp())
                said.add_metric([sid, str(outage.id), outage.priority,
                                 waktu(outage.start_at, svc.zone),
                                 waktu(outage.resolve_by, svc.zone) if outage.resolve_by
                                 else "-"], 1.0)
                if outage.resolve_by is not None:
                    resolve.add_metric([sid], outage.resolve_by.timestamp())
        yield from (up, degraded, maint, maint_end, hours, info, target, committed, down,
                    excused, unmon, ratio, coverage, budget, prio, since, said, resolve, rto,
                    rpo, member, serving)

    def _hosts(self, mon: Monitor) -> Iterator[Metric]:
        families: dict[str, GaugeMetricFamily] = {}
        for pid, state in mon.components.items():
            if state.last is None:
                continue
            cfg = mon.config.probes[pid]
            for key, value in state.last.values.items():
                base, _, suffix = key.partition(":")
                if cfg.kind == "storage" and not suffix:  # one path per probe: its mount
                    suffix = str(getattr(cfg, "mount", None) or getattr(cfg, "path", ""))
                spec = HOST_METRICS.get(base)
                if spec is None or (spec[1] is None) != (suffix == ""):
                    continue
                name, label, scale = spec
                fam = families.get(name)
                if fam is None:
                    fam = families[name] = GaugeMetricFamily(
                        name, f"Host utilisation from ssh, snmp and storage probes ({base})",
                        labels=["probe", label] if label else ["probe"])
                fam.add_metric([pid, suffix] if label else [pid], value * scale)
        yield from families.values()

    def _drp(self, config: Config, view: LedgerView) -> Iterator[Metric]:
        last = GaugeMetricFamily("spbe_drp_last_drill_timestamp_seconds",
                                 "When the last completed DRP drill covering the service ended "
                                 "(0: never drilled)", labels=["service"])
        rto = GaugeMetricFamily("spbe_drp_rto_achieved_seconds",
                                "RTO achieved in the last drill (from the declaration)",
                                labels=["service"])
        rpo = GaugeMetricFamily("spbe_drp_rpo_achieved_seconds",
                                "RPO achieved in the last drill", labels=["service"])
        due = GaugeMetricFamily("spbe_drp_drill_due_timestamp_seconds",
                                "When the next annual DRP drill is due: a year after the last "
                                "one, or after the service was first judged",
                                labels=["service"])
        for sid, svc in sorted(config.services.items()):
            if svc.drp_playbook and sid not in view.drp.last_drill:
                last.add_metric([sid], 0.0)
        for sid, at in sorted(view.drp.drill_due.items()):
            due.add_metric([sid], at.timestamp())
        for sid, d in sorted(view.drp.last_drill.items()):
            last.add_metric([sid], d.finished_at.timestamp())
            if d.rto_achieved is not None:
                rto.add_metric([sid], d.rto_achieved)
            if d.rpo_achieved is not None:
                rpo.add_metric([sid], d.rpo_achieved)
        phase = GaugeMetricFamily("spbe_drp_run_active", "1 for the phase of a live DRP run",
                                  labels=["playbook", "phase"])
        elapsed = GaugeMetricFamily("spbe_drp_rto_elapsed_seconds",
                                    "Seconds since the disaster was declared (live run)",
                                    labels=["service"])
        projected = GaugeMetricFamily("spbe_drp_rto_projected_seconds",
                                      "Elapsed plus the expected durations of the recovery "
                                      "steps still to do (live run)", labels=["service"])
        for live in view.drp.live:
            phase.add_metric([live.playbook, live.phase], 1.0)
            if live.elapsed is not None:
                elapsed.add_metric([live.service], live.elapsed)
            if live.projected is not None:
                projected.add_metric([live.service], live.projected)
        yield from (last, due, rto, rpo, phase, elapsed, projected)

    def _daemon(self, facts: DaemonFacts) -> Iterator[Metric]:
        info = InfoMetricFamily("spbe_build", "spbe-monitor build")
        info.add_metric([], {"version": __version__})
        yield info
        if facts.reload_ok is not None:
            yield GaugeMetricFamily("spbe_config_last_reload_successful",
                                    "1 if the last SIGHUP reload succeeded",
                                    value=1.0 if facts.reload_ok else 0.0)
        if facts.reload_at is not None:
            yield GaugeMetricFamily("spbe_config_last_reload_success_timestamp_seconds",
                                    "When the configuration was last loaded successfully",
                                    value=facts.reload_at)
        refused = CounterMetricFamily("spbe_auth_refusals", "Credentials refused since the "
                                      "daemon started: token (none or unknown), login, totp "
                                      "(wrong code), csrf", labels=["kind"])
        for kind in refusals.KINDS:
            refused.add_metric([kind], refusals.COUNTS[kind])
        yield refused
        if facts.ledger is not None:
            yield GaugeMetricFamily("spbe_ledger_pending_writes",
                                    "Ledger writes the database refused, kept in the spool "
                                    "until it accepts them again", value=facts.ledger.pending)
            yield CounterMetricFamily("spbe_ledger_write_failures",
                                      "Attempts to write the ledger that the database refused",
                                      value=facts.ledger.failures_total)
        runner = facts.runner
        if runner is None:
            return
        stats = runner.stats
        yield CounterMetricFamily("spbe_checks", "Checks run", value=stats.checks)
        yield CounterMetricFamily("spbe_checks_skipped",
                                  "Checks skipped because the previous one still ran",
                                  value=stats.skipped)
        window = stats.lateness[-10_000:]
        if window:
            late = sorted(window)
            lag = RawMetric("spbe_scheduling_lag_seconds", "How late checks started against "
                            "their schedule, over the last 10,000 checks", "summary")
            for q in (0.5, 0.99):
                lag.add_sample("spbe_scheduling_lag_seconds", {"quantile": str(q)},
                               late[min(len(late) - 1, int(len(late) * q))])
            lag.add_sample("spbe_scheduling_lag_seconds_count", {}, float(len(window)))
            lag.add_sample("spbe_scheduling_lag_seconds_sum", {}, float(sum(window)))
            yield lag

    def _locations(self, mon: Monitor) -> Iterator[Metric]:
        """Probes judged from several locations: each location's own verdict, and when
        each location last reported (its silence is an alert, never downtime)."""
        up = GaugeMetricFamily("spbe_location_up", "1 if the component passes as seen from "
                               "the location (its own hysteresis; absent while unknown)",
                               labels=["probe", "location"])
        heard = GaugeMetricFamily("spbe_location_last_result_timestamp_seconds",
                                  "Start of the newest check a location reported",
                                  labels=["location"])
        newest: dict[str, float] = {}
        for pid, state in mon.components.items():
            if not isinstance(state, Vantage):
                continue
            for loc, st in state.states.items():
                if st.health is not Health.UNKNOWN:
                    up.add_metric([pid, loc], 1.0 if st.health.passing else 0.0)
            for loc, at in state.heard.items():
                newest[loc] = max(newest.get(loc, 0.0), at.timestamp())
        for loc, ts in sorted(newest.items()):
            heard.add_metric([loc], ts)
        yield up
        yield heard

    def _cluster(self, view: ClusterView) -> Iterator[Metric]:
        live = GaugeMetricFamily("spbe_cluster_member_up", "1 while a cluster member's "
                                 "lease is current, 0 once it ran out or it left",
                                 labels=["member"])
        units = GaugeMetricFamily("spbe_cluster_member_units",
                                  "Units (services with their probes) a member evaluates",
                                  labels=["member"])
        for m in view.members:
            alive = view.now is not None and m.alive(view.now)
            live.add_metric([m.member], 1.0 if alive else 0.0)
            units.add_metric([m.member], float(m.units if alive else 0))
        yield live
        yield units
        yield GaugeMetricFamily("spbe_cluster_leader", "1 on the member that leads the "
                                "cluster (runs the month-end and retention jobs)",
                                value=1.0 if view.leading else 0.0)

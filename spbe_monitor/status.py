"""What `spbe status` and `/api/v1/status` show: every service and component, now."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from spbe_monitor.drp.facts import DrpFacts
from spbe_monitor.ledger.durable import WriterHealth
from spbe_monitor.monitor.engine import Monitor
from spbe_monitor.monitor.runner import Runner


def snapshot(monitor: Monitor, runner: Runner | None, now: datetime,
             drp: DrpFacts | None = None, ledger: WriterHealth | None = None
             ) -> dict[str, Any]:
    def iso(dt: datetime | None) -> str | None:
        return dt.isoformat() if dt else None

    components = {}
    for pid, st in monitor.components.items():
        last = st.last
        components[pid] = {
            "health": st.health.value, "since": iso(st.since), "last_check": iso(st.last_at),
            "ok": None if last is None else last.ok,
            "message": None if last is None else (last.degraded or last.message),
            "duration_seconds": None if last is None else round(last.duration_s, 6),
            "kind": monitor.config.probes[pid].kind,
        }
    services = {}
    for sid, svc in monitor.config.services.items():
        sst = monitor.services.get(sid)
        services[sid] = {
            "name": svc.name,
            "health": sst.health.value if sst else "unmonitored",
            "since": iso(sst.since) if sst else None,
            "reasons": sst.reasons if sst else [],
            "components": sst.components if sst else list(svc.components),
            "site": monitor.site(sid),  # the site serving it (a DRP failover: secondary)
        }
    stats = runner.stats if runner else None
    late = sorted(stats.lateness[-10_000:]) if stats else []
    scheduler = {
        "probes": len(runner.probes) if runner else 0,  # in a cluster: this member's share
        "checks": stats.checks if stats else 0,
        "skipped": stats.skipped if stats else 0,
        "lateness_p50_seconds": late[len(late) // 2] if late else None,
        "lateness_p99_seconds": late[min(len(late) - 1, int(len(late) * 0.99))] if late else None,
    }
    drills = drp.last_drill if drp else {}
    return {"at": now.isoformat(), "services": services, "components": components,
            "scheduler": scheduler,
            "ledger": None if ledger is None else {
                "pending_writes": ledger.pending, "write_failures": ledger.failures_total,
                "pending_since": iso(ledger.since), "reason": ledger.reason},
            "drp_last_drill": {sid: d.finished_at.isoformat() for sid, d in sorted(drills.items())},
            "drp_live_runs": [{"run": r.run, "playbook": r.playbook, "phase": r.phase,
                               "service": r.service, "rto_elapsed_seconds": r.elapsed,
                               "rto_projected_seconds": r.projected,
                               "rto_target_seconds": r.rto_target}
                              for r in (drp.live if drp else [])]}

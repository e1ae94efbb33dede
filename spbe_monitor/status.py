"""What `spbe status` and `/api/v1/status` show: every service and component, now."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from spbe_monitor.monitor.engine import Monitor


def snapshot(monitor: Monitor, now: datetime) -> dict[str, Any]:
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
            "components": list(svc.components),
        }
    return {"at": now.isoformat(), "services": services, "components": components}

"""What the read channels show, built once: the API's GET routes answer with these, and the
CLI prints them (read through the daemon, or directly from the ledger when none runs), so
the two cannot disagree."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported by the functions: the CLI imports this before knowing whether
    # the daemon answers, and must not pay for pydantic and SQLAlchemy when it does
    from spbe_monitor.availability.formula import Late
    from spbe_monitor.clock import Clock
    from spbe_monitor.config.loader import Config
    from spbe_monitor.config.models import Maintenance
    from spbe_monitor.ledger.store import Store


def outages(config: Config, store: Store, service_id: str | None, month: str | None = None,
            open_only: bool = False) -> list[dict[str, Any]]:
    """Outages, every one or those of a month (in the configured zone) or still open."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from spbe_monitor.availability.calendar import month_bounds
    from spbe_monitor.ledger.records import as_dict
    from spbe_monitor.monthly import parse_month

    ids = [config.service(service_id).id] if service_id else None
    lo = hi = None
    if month is not None:
        bounds = month_bounds(*parse_month(month), ZoneInfo(config.settings.timezone))
        lo, hi = (datetime.fromtimestamp(b, UTC) for b in bounds)
    return [as_dict(o) for o in store.outages(ids, lo, hi)
            if not open_only or o.end_at is None]


def last_known(config: Config, store: Store) -> dict[str, Any]:
    """What the ledger knows when no daemon answers: each service's last judged state and
    its open outage, and when anything was last observed — `spbe status` with the daemon
    down (stale by design, and it says since when)."""
    from spbe_monitor.ledger.records import as_dict

    open_now = {o.service_id: o for o in store.outages(list(config.services))
                if o.end_at is None}
    seen = store.last_observed()
    services = {}
    for sid in config.services:
        state = store.last_state(sid)
        outage = open_now.get(sid)
        services[sid] = {"health": state[0] if state else "unknown",
                         "since": state[1].isoformat() if state else None,
                         "open_outage": as_dict(outage) if outage else None}
    return {"last_observed": seen.isoformat() if seen else None, "services": services}


def this_month(config: Config, clock: Clock) -> str:
    """YYYY-MM now, in the configured zone: what a command means without `--month`."""
    from zoneinfo import ZoneInfo

    return clock.now().astimezone(ZoneInfo(config.settings.timezone)).strftime("%Y-%m")


def maintenance(config: Config, store: Store) -> list[dict[str, Any]]:
    """Every window, with why a late one excuses nothing until approved."""
    from spbe_monitor.availability.formula import Late
    from spbe_monitor.ledger.records import as_dict

    rules = config.settings.maintenance
    return [{**as_dict(w), "registered_late": w.registered_late,
             "late_because": late_text(Late(w.late_reason), rules) if w.late_reason else None}
            for w in store.maintenance()]


def late_text(late: Late, rules: Maintenance) -> str:
    from spbe_monitor.availability.formula import Late
    from spbe_monitor.config.fields import format_duration

    return {Late.NOTICE: f"registered with less than {format_duration(rules.min_notice)} notice",
            Late.TOO_LONG: f"longer than {format_duration(rules.max_duration)}",
            Late.DURING_OUTAGE: "registered while the service was down"}[late]


def availability(config: Config, store: Store, clock: Clock, month: str | None,
                 service_id: str | None) -> list[dict[str, Any]]:
    """The regulation's figures for a month (`ServiceMonth.as_json`; this month when none
    is given), every service or one."""
    from spbe_monitor.monthly import figures_for_month, parse_month

    year, mon = parse_month(month or this_month(config, clock))
    ids = [config.service(service_id).id] if service_id else list(config.services)
    return [f.as_json() for f in figures_for_month(config, store, year, mon, ids, clock.now())]


def drp_runs(config: Config, store: Store, clock: Clock) -> list[dict[str, Any]]:
    from spbe_monitor.drp.operations import Drp
    from spbe_monitor.drp.status import run_summary

    return [run_summary(r) for r in Drp(config, store, clock).journal.runs()]


def drp_run(config: Config, store: Store, clock: Clock, run_id: int) -> dict[str, Any]:
    from spbe_monitor.drp.operations import Drp

    return Drp(config, store, clock).status(run_id).as_json()

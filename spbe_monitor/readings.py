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


def outages(config: Config, store: Store, service_id: str | None) -> list[dict[str, Any]]:
    from spbe_monitor.ledger.records import as_dict

    ids = [config.service(service_id).id] if service_id else None
    return [as_dict(o) for o in store.outages(ids)]


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
    """The regulation's figures for a month (`ServiceMonth.as_json`), every service or one."""
    from spbe_monitor.errors import BadInput
    from spbe_monitor.monthly import figures_for_month, parse_month

    if month is None:
        raise BadInput("the month (YYYY-MM) is required")
    year, mon = parse_month(month)
    ids = [config.service(service_id).id] if service_id else list(config.services)
    return [f.as_json() for f in figures_for_month(config, store, year, mon, ids, clock.now())]


def drp_runs(config: Config, store: Store, clock: Clock) -> list[dict[str, Any]]:
    from spbe_monitor.drp.operations import Drp
    from spbe_monitor.drp.status import run_summary

    return [run_summary(r) for r in Drp(config, store, clock).journal.runs()]


def drp_run(config: Config, store: Store, clock: Clock, run_id: int) -> dict[str, Any]:
    from spbe_monitor.drp.operations import Drp

    return Drp(config, store, clock).status(run_id).as_json()

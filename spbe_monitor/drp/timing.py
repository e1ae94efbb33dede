"""RTO and RPO achieved, counted from the declaration (Perbup 49/2024 IV.C.3). Pure.

RTO per service = when its wait_healthy step passed − declared_at, cut into what was going
on (drp/breakdown.py): the parts add up to the RTO.
RPO per service = disaster time − the recovery point its recovery_point step found."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from spbe_monitor.config.models import Service
from spbe_monitor.drp.breakdown import CATEGORIES, partition, spans_of, with_runner_gaps
from spbe_monitor.drp.playbook import Playbook
from spbe_monitor.drp.status import Recovery, StepState


def _seconds(a: datetime | None, b: datetime | None) -> float | None:
    return None if a is None or b is None else (b - a).total_seconds()


def services_timing(run: dict[str, Any], steps: list[dict[str, Any]], playbook: Playbook,
                    services: dict[str, Service], journal: list[dict[str, Any]],
                    now: datetime) -> tuple[Recovery, ...]:
    declared: datetime | None = run["declared_at"]
    activity = spans_of(journal, {st["step_id"]: st["kind"] for st in steps}, now)
    out = []
    for sid in playbook.head.services:
        svc = services.get(sid)
        healthy_at = None
        point = None
        for s in steps:
            output = s["output"] or {}
            if s["state"] == StepState.DONE and sid in output.get("services", []) \
                    and output.get("healthy_at"):
                moment = datetime.fromisoformat(output["healthy_at"])
                healthy_at = moment if healthy_at is None else max(healthy_at, moment)
            if s["state"] == StepState.DONE and output.get("service") == sid and output.get(
                    "recovery_point"):
                point = datetime.fromisoformat(output["recovery_point"])
        svc_rto = svc.rto.total_seconds() if svc and svc.rto else None
        split = dict.fromkeys(CATEGORIES, 0.0)
        if declared is not None and healthy_at is not None:
            split = partition(declared, healthy_at,
                              with_runner_gaps(activity, declared, healthy_at))
        out.append(Recovery(
            sid, svc_rto, _seconds(declared, healthy_at), split, healthy_at,
            svc.rpo.total_seconds() if svc and svc.rpo else None,
            _seconds(point, run["disaster_at"]), point))
    return tuple(out)


def normalisation_seconds(steps: list[dict[str, Any]]) -> float | None:
    spans = [(s["started_at"] or s["waiting_since"], s["finished_at"]) for s in steps
             if s["phase"] == "normalisation" and s["finished_at"] is not None]
    spans = [(a, b) for a, b in spans if a is not None]
    if not spans:
        return None
    return float((max(b for _, b in spans) - min(a for a, _ in spans)).total_seconds())

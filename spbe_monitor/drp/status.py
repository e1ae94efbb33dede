"""A run's state as every channel shows it: run and step states as enums, and one frozen
`RunStatus` whose `as_json()` the CLI, the API, Formulir G and the exporter's facts all read,
so they cannot disagree (as `monthly.ServiceMonth` does for availability)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any


class RunState(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # ended by a step with on_failure: abort
    ABORTED = "aborted"


class StepState(StrEnum):
    PENDING = "pending"
    WAITING_APPROVAL = "waiting_approval"  # a gate, approval or manual step: a person acts
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # after its retries: its branch waits for a decision
    IN_DOUBT = "in_doubt"  # it was running when its runner died: never silently re-run
    SKIPPED = "skipped"

    @property
    def settled(self) -> bool:
        return self in (StepState.DONE, StepState.SKIPPED)

    @property
    def open(self) -> bool:
        """Not started: a person may sign it or the runner may start it once it is ready."""
        return self in (StepState.PENDING, StepState.WAITING_APPROVAL)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class Attempt:
    """One execution of an automated step, from the journal: its own start, end, result."""

    number: int
    started_at: datetime
    finished_at: datetime | None
    state: StepState  # done, failed, in_doubt, or running (the current one)
    message: str | None
    output_tail: str | None  # the last 4 kB of output, persisted while it ran

    def as_json(self) -> dict[str, Any]:
        return {"number": self.number, "started_at": _iso(self.started_at),
                "finished_at": _iso(self.finished_at), "state": self.state.value,
                "message": self.message, "output_tail": self.output_tail}


def attempts(journal: list[dict[str, Any]], tails: dict[str, tuple[int, str]]
             ) -> dict[str, tuple[Attempt, ...]]:
    """Each automated step's attempts from the run journal (`step.running` opens one; done,
    failed or in_doubt ends it); the one still running shows its output so far."""
    ends = {"step.done": StepState.DONE, "step.failed": StepState.FAILED,
            "step.in_doubt": StepState.IN_DOUBT}
    out: dict[str, list[Attempt]] = {}
    for e in journal:
        mine = out.setdefault(e["step_id"], []) if e["step_id"] else []
        if e["event"] == "step.running":
            number = len(mine) + 1
            attempt, printed = tails.get(e["step_id"], (0, ""))
            mine.append(Attempt(number, e["at"], None, StepState.RUNNING, None,
                                printed if attempt == number else None))
        elif e["event"] in ends and mine and mine[-1].finished_at is None:
            detail = json.loads(e["detail"] or "{}")
            mine[-1] = replace(mine[-1], finished_at=e["at"], state=ends[e["event"]],
                               message=detail.get("message") or detail.get("why"),
                               output_tail=detail.get("output_tail", mine[-1].output_tail))
    return {sid: tuple(a) for sid, a in out.items() if a}


@dataclass(frozen=True)
class StepStatus:
    id: str
    phase: str
    kind: str
    state: StepState
    attempts: int
    waiting_since: datetime | None
    started_at: datetime | None  # the last attempt's start; each attempt in `history`
    finished_at: datetime | None
    actor: str | None
    note: str | None
    output: dict[str, Any]
    history: tuple[Attempt, ...]

    @property
    def began(self) -> datetime | None:
        """When the step began to take time: its start, or when it began to wait."""
        return self.started_at or self.waiting_since

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "phase": self.phase, "kind": self.kind,
                "state": self.state.value, "attempts": self.attempts,
                "waiting_since": _iso(self.waiting_since), "started_at": _iso(self.started_at),
                "began": _iso(self.began), "finished_at": _iso(self.finished_at),
                "actor": self.actor, "note": self.note,
                "output": self.output, "history": [a.as_json() for a in self.history]}


@dataclass(frozen=True)
class Recovery:
    """One service's RTO and RPO: target and achieved, exact seconds."""

    service: str
    rto_target: float | None
    rto_achieved: float | None
    rto_breakdown: dict[str, float]  # sums to rto_achieved (drp/breakdown.py)
    recovered_at: datetime | None
    rpo_target: float | None
    rpo_achieved: float | None
    recovery_point: datetime | None

    @property
    def rto_met(self) -> bool | None:
        return None if self.rto_achieved is None or self.rto_target is None \
            else self.rto_achieved <= self.rto_target

    @property
    def rpo_met(self) -> bool | None:
        return None if self.rpo_achieved is None or self.rpo_target is None \
            else self.rpo_achieved <= self.rpo_target

    def as_json(self) -> dict[str, Any]:
        return {"service": self.service, "rto_target_seconds": self.rto_target,
                "rto_achieved_seconds": self.rto_achieved, "rto_met": self.rto_met,
                "rto_breakdown_seconds": self.rto_breakdown,
                "recovered_at": _iso(self.recovered_at),
                "rpo_target_seconds": self.rpo_target,
                "rpo_achieved_seconds": self.rpo_achieved, "rpo_met": self.rpo_met,
                "recovery_point": _iso(self.recovery_point)}


@dataclass(frozen=True)
class RunnerStatus:
    alive: bool
    holder: str | None  # "host pid"
    renewed_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {"alive": self.alive, "holder": self.holder,
                "renewed_at": _iso(self.renewed_at)}


@dataclass(frozen=True)
class RunStatus:
    run: int
    playbook: str
    playbook_version: str
    playbook_sha256: str
    document_approved: bool
    changed_since_start: bool | None  # the playbook file differs from the run's copy
    mode: str
    state: RunState
    started_by: str
    started_at: datetime
    disaster_at: datetime
    declared_at: datetime | None
    finished_at: datetime | None
    reason: str | None
    steps: tuple[StepStatus, ...]
    services: tuple[Recovery, ...]
    normalisation_seconds: float | None
    waiting_decision: tuple[str, ...]
    runner: RunnerStatus | None  # None once the run is over
    timezone: str  # its times are read in its (first) service's zone

    def as_json(self) -> dict[str, Any]:
        return {
            "run": self.run, "playbook": self.playbook,
            "playbook_version": self.playbook_version,
            "playbook_sha256": self.playbook_sha256,
            "document_approved": self.document_approved,
            "changed_since_start": self.changed_since_start, "mode": self.mode,
            "state": self.state.value, "started_by": self.started_by,
            "started_at": _iso(self.started_at), "disaster_at": _iso(self.disaster_at),
            "declared_at": _iso(self.declared_at), "finished_at": _iso(self.finished_at),
            "reason": self.reason, "steps": [s.as_json() for s in self.steps],
            "services": [s.as_json() for s in self.services],
            "normalisation_seconds": self.normalisation_seconds,
            "waiting_decision": list(self.waiting_decision),
            "runner": self.runner.as_json() if self.runner else None,
            "timezone": self.timezone,
        }


def run_summary(run: dict[str, Any]) -> dict[str, Any]:
    """A run in lists (`drp list --json`, `GET /api/v1/drp/runs`): its facts without the
    playbook text it keeps."""
    return {"id": run["id"], "playbook": run["playbook_id"],
            "playbook_version": run["playbook_version"], "mode": run["mode"],
            "state": str(run["state"]), "document_approved": run["document_approved"],
            "started_by": run["started_by"], "started_at": _iso(run["started_at"]),
            "disaster_at": _iso(run["disaster_at"]), "declared_at": _iso(run["declared_at"]),
            "finished_at": _iso(run["finished_at"]), "reason": run["reason"]}

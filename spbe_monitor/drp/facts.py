"""What the daemon shows of DRP runs: the last drill per service that counts for the annual
drill (completed, of an approved playbook, with the RTO measured), with its RTO and RPO,
and, while a run is live, its phase, RTO elapsed since the declaration and the projection
from the remaining steps' expected durations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from spbe_monitor.clock import Clock
from spbe_monitor.config.loader import Config
from spbe_monitor.drp.operations import Drp
from spbe_monitor.drp.status import RunState, StepState
from spbe_monitor.errors import SpbeError
from spbe_monitor.ledger.store import Store

YEAR = timedelta(days=365)  # the regulation's annual drill


@dataclass(frozen=True)
class LastDrill:
    finished_at: datetime
    rto_achieved: float | None
    rpo_achieved: float | None


@dataclass(frozen=True)
class LiveRun:
    run: int
    playbook: str
    phase: str
    service: str
    rto_target: float | None
    elapsed: float | None  # since the declaration
    projected: float | None  # elapsed + expected durations of what is left


@dataclass(frozen=True)
class DrpFacts:
    last_drill: dict[str, LastDrill] = field(default_factory=dict)
    live: list[LiveRun] = field(default_factory=list)
    # when each service's next annual drill is due: a year after its last drill, or — never
    # drilled — a year after the ledger first judged it (a new installation owes none yet)
    drill_due: dict[str, datetime] = field(default_factory=dict)


def read_facts(config: Config, store: Store, clock: Clock) -> DrpFacts:
    ops = Drp(config, store, clock)
    runs = ops.journal.runs()
    last: dict[str, LastDrill] = {}
    live: list[LiveRun] = []
    now = clock.now()
    # a draft's drill, or one that never measured the RTO, proves no recovery: newest first,
    # each service takes the first drill that counts
    counted = sorted((r for r in runs if r["mode"] == "drill" and r["state"] is RunState.DONE
                      and r["finished_at"] and r["document_approved"]),
                     key=lambda r: r["finished_at"], reverse=True)
    for run in counted:
        try:
            status = ops.status(run["id"])
        except SpbeError:  # an old run whose playbook file is gone or no longer valid
            continue
        for rec in status.services:
            if rec.service not in last and rec.rto_achieved is not None:
                last[rec.service] = LastDrill(run["finished_at"], rec.rto_achieved,
                                              rec.rpo_achieved)
    for run in runs:
        if run["state"] is RunState.RUNNING:
            try:
                book = ops.playbook_of(run["id"])
            except SpbeError:
                continue
            steps = ops.journal.steps(run["id"])
            open_phases = [s["phase"] for s in steps
                           if not s["state"].settled and s["state"] is not StepState.FAILED]
            phase = open_phases[0] if open_phases else "normalisation"
            expected = [book.steps[s["step_id"]][1].expected for s in steps
                        if s["phase"] == "recovery" and not s["state"].settled]
            left = sum(e.total_seconds() for e in expected if e is not None)
            declared = run["declared_at"]
            elapsed = (now - declared).total_seconds() if declared else None
            for sid in book.head.services:
                svc = config.services.get(sid)
                live.append(LiveRun(run["id"], book.id, phase, sid,
                                    svc.rto.total_seconds() if svc and svc.rto else None,
                                    elapsed, None if elapsed is None else elapsed + left))
    due = {}
    for sid, svc in config.services.items():
        if not svc.drp_playbook:
            continue
        since = last[sid].finished_at if sid in last else store.first_judged(sid) or now
        due[sid] = since + YEAR
    return DrpFacts(last, live, due)

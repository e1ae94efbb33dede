"""The run journal: every step transition is a conditional update written (and committed)
before and after acting, so a runner killed at any moment resumes exactly where it was.
A step found `running` by a new runner is `in_doubt`: never silently re-run."""

from __future__ import annotations

import json
from collections.abc import Set as AbstractSet
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, select, update

from spbe_monitor.availability.sites import PRIMARY, label
from spbe_monitor.drp.playbook import Playbook, skipped_in
from spbe_monitor.drp.status import RunState, StepState
from spbe_monitor.errors import BadInput, NotFound
from spbe_monitor.ledger import sites
from spbe_monitor.ledger.evidence import seal
from spbe_monitor.ledger.store import Store
from spbe_monitor.ledger.tables import (
    drp_document_approvals,
    drp_journal,
    drp_live_output,
    drp_runs,
    drp_steps,
)
from spbe_monitor.regulation.disaster import DECLARATION


def _row(r: Any) -> dict[str, Any]:
    d = dict(r._mapping)
    if "output" in d:
        d["output"] = json.loads(d["output"]) if d["output"] else {}
    d["state"] = StepState(d["state"])
    return d


def _run(r: Any) -> dict[str, Any]:
    return {**r._mapping, "state": RunState(r.state)}


class Journal:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # --- document approval ---------------------------------------------------------------

    def approve_document(self, playbook: Playbook, nip: str, now: datetime) -> None:
        with self.engine.begin() as conn:
            aid = conn.execute(insert(drp_document_approvals).values(
                playbook_id=playbook.id, sha256=playbook.sha256, nip=nip, approved_at=now,
                text=playbook.text)).inserted_primary_key
            assert aid is not None
            seal(conn, drp_document_approvals, drp_document_approvals.c.id == aid[0], now)
            Store.audit_in(conn, now, nip, "drp.document.approve", f"playbook:{playbook.id}",
                           after={"sha256": playbook.sha256,
                                  "version": str(playbook.head.version)})

    def document_approval(self, playbook: Playbook) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(drp_document_approvals).where(
                drp_document_approvals.c.playbook_id == playbook.id,
                drp_document_approvals.c.sha256 == playbook.sha256,
            ).order_by(drp_document_approvals.c.id.desc())).first()
        return None if r is None else dict(r._mapping)

    def last_approval(self, playbook_id: str) -> dict[str, Any] | None:
        """The newest approval of any version of this playbook (what a new version is
        compared with before it is signed)."""
        with self.engine.connect() as conn:
            r = conn.execute(select(drp_document_approvals).where(
                drp_document_approvals.c.playbook_id == playbook_id,
            ).order_by(drp_document_approvals.c.id.desc())).first()
        return None if r is None else dict(r._mapping)

    # --- runs ----------------------------------------------------------------------------

    def create_run(self, playbook: Playbook, mode: str, started_by: str, now: datetime,
                   disaster_at: datetime, approved: bool) -> int:
        with self.engine.begin() as conn:
            rid = conn.execute(insert(drp_runs).values(
                playbook_id=playbook.id, playbook_version=str(playbook.head.version),
                playbook_sha256=playbook.sha256, playbook_path=str(playbook.path),
                playbook_text=playbook.text,
                document_approved=approved, mode=mode, started_by=started_by,
                started_at=now, disaster_at=disaster_at, state=RunState.RUNNING,
            )).inserted_primary_key
            assert rid is not None
            run_id = int(rid[0])
            rows = [dict(run_id=run_id, step_id=d.id, position=i, phase="declaration",
                         kind="gate", state=StepState.PENDING, attempts=0)
                    for i, d in enumerate(DECLARATION)]
            for i, (sid, (phase, step)) in enumerate(playbook.steps.items(), start=len(rows)):
                skip = skipped_in(mode, step)
                rows.append(dict(run_id=run_id, step_id=sid, position=i, phase=phase,
                                 kind=step.kind, state=StepState.SKIPPED if skip
                                 else StepState.PENDING,
                                 attempts=0, note=f"not exercised in a {mode}" if skip else None))
            conn.execute(insert(drp_steps), rows)
            seal(conn, drp_runs, drp_runs.c.id == run_id, now)
            seal(conn, drp_steps, drp_steps.c.run_id == run_id, now)
            self._journal(conn, run_id, None, now, "run.start",
                          {"mode": mode, "by": started_by, "sha256": playbook.sha256})
            Store.audit_in(conn, now, started_by, "drp.start", f"drp-run:{run_id}",
                           after={"playbook": playbook.id, "mode": mode})
        return run_id

    @staticmethod
    def _journal(conn: Any, run_id: int, step_id: str | None, at: datetime, event: str,
                 detail: dict[str, Any] | None = None) -> None:
        jid = conn.execute(insert(drp_journal).values(
            run_id=run_id, step_id=step_id, at=at, event=event,
            detail=json.dumps(detail, default=str, sort_keys=True) if detail else None)
        ).inserted_primary_key
        assert jid is not None
        seal(conn, drp_journal, drp_journal.c.id == jid[0], at)

    def run(self, run_id: int) -> dict[str, Any]:
        with self.engine.connect() as conn:
            r = conn.execute(select(drp_runs).where(drp_runs.c.id == run_id)).first()
        if r is None:
            raise NotFound(f"no DRP run {run_id}")
        return _run(r)

    def runs(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [_run(r) for r in conn.execute(
                select(drp_runs).order_by(drp_runs.c.id))]

    def steps(self, run_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(select(drp_steps).where(
                drp_steps.c.run_id == run_id).order_by(drp_steps.c.position))]

    def step(self, run_id: int, step_id: str) -> dict[str, Any]:
        for s in self.steps(run_id):
            if s["step_id"] == step_id:
                return s
        raise NotFound(f"run {run_id} has no step {step_id!r}")

    def entries(self, run_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(drp_journal).where(
                drp_journal.c.run_id == run_id).order_by(drp_journal.c.id))]

    def live_tail(self, run_id: int, step_id: str, attempt: int, tail: str,
                  now: datetime) -> None:
        """Keep the output so far of a step's newest attempt (replaces the previous one)."""
        with self.engine.begin() as conn:
            conn.execute(delete(drp_live_output).where(and_(
                drp_live_output.c.run_id == run_id, drp_live_output.c.step_id == step_id)))
            conn.execute(insert(drp_live_output).values(
                run_id=run_id, step_id=step_id, attempt=attempt, tail=tail, updated_at=now))

    def live_tails(self, run_id: int) -> dict[str, tuple[int, str]]:
        """step → (attempt, output so far) of each step's newest attempt that printed."""
        with self.engine.connect() as conn:
            return {r.step_id: (r.attempt, r.tail) for r in conn.execute(
                select(drp_live_output).where(drp_live_output.c.run_id == run_id))}

    def move(self, run_id: int, step_id: str, allowed: AbstractSet[str], new: str, now: datetime,
             event: str, by: str | None = None, detail: dict[str, Any] | None = None,
             audit: bool = False, **values: Any) -> bool:
        """Conditional transition: only from `allowed` states; False if someone else moved
        the step first (the caller re-reads). `by` is the person acting, if any."""
        actor = by
        if by:
            values.setdefault("actor", by)
        with self.engine.begin() as conn:
            result = conn.execute(update(drp_steps).where(and_(
                drp_steps.c.run_id == run_id, drp_steps.c.step_id == step_id,
                drp_steps.c.state.in_(sorted(allowed)))).values(state=new, **values))
            if result.rowcount != 1:
                return False
            seal(conn, drp_steps, and_(drp_steps.c.run_id == run_id,
                                       drp_steps.c.step_id == step_id), now)
            self._journal(conn, run_id, step_id, now, event,
                          {**(detail or {}), **({"by": actor} if actor else {})})
            if new == StepState.DONE and values.get("output"):
                self._switch_sites(conn, run_id, step_id, json.loads(values["output"]), now,
                                   actor)
            if audit and actor:
                Store.audit_in(conn, now, actor, f"drp.{event}", f"drp-run:{run_id}/{step_id}",
                               after={"state": new, **(detail or {})})
        return True

    @staticmethod
    def _switch_sites(conn: Any, run_id: int, step_id: str, output: dict[str, Any],
                      now: datetime, actor: str | None) -> None:
        """A declared run's health gate that passed at a site makes it the site serving its
        services from that moment (the RTO point; back at the primary: normalisation) — in
        the same transaction as the step, so a crash never keeps one without the other."""
        site, healthy = output.get("site"), output.get("healthy_at")
        if not site or not healthy or conn.execute(select(drp_runs.c.declared_at).where(
                drp_runs.c.id == run_id)).scalar() is None:
            return
        for sid in output.get("services", []):
            if sites.current_site(conn, sid) in (site, None if site == PRIMARY else ""):
                continue  # served from there already
            sites.record(conn, sid, site, datetime.fromisoformat(healthy), now,
                         actor or f"drp-run:{run_id}",
                         f"DRP #{run_id}: {step_id} lulus di situs {label(site)}",
                         run_id, step_id)

    def reassessed(self, run_id: int, at: datetime, actor: str,
                   detail: dict[str, Any]) -> None:
        """Tabel 4.3 signed again inside the run: a journal row of its own (the first
        analysis and every earlier one kept), audited."""
        with self.engine.begin() as conn:
            self._journal(conn, run_id, "analyse", at, "analysis.reassessed",
                          {**detail, "by": actor})
            Store.audit_in(conn, at, actor, "drp.reassess", f"drp-run:{run_id}/analyse",
                           after=detail)

    def move_run_event(self, run_id: int, at: datetime, event: str,
                       detail: dict[str, Any] | None = None,
                       audited_as: str | None = None) -> None:
        """A row of the run's journal; a person's act (`detail["by"]`) is also audited as
        `audited_as`, in the same transaction."""
        with self.engine.begin() as conn:
            self._journal(conn, run_id, None, at, event, detail)
            if audited_as is not None and detail is not None:
                Store.audit_in(conn, at, str(detail["by"]), audited_as, f"drp-run:{run_id}",
                               after=detail)

    def declared(self, run_id: int, at: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(drp_runs).where(and_(
                drp_runs.c.id == run_id, drp_runs.c.declared_at.is_(None))).values(
                    declared_at=at))
            seal(conn, drp_runs, drp_runs.c.id == run_id, at)

    def finish(self, run_id: int, state: RunState, now: datetime, reason: str | None = None,
               actor: str | None = None) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(update(drp_runs).where(and_(
                drp_runs.c.id == run_id, drp_runs.c.state == RunState.RUNNING)).values(
                    state=state, finished_at=now, reason=reason))
            if result.rowcount != 1:
                return False
            seal(conn, drp_runs, drp_runs.c.id == run_id, now)
            self._journal(conn, run_id, None, now, f"run.{state}", {"reason": reason})
            if actor:
                Store.audit_in(conn, now, actor, f"drp.{state}", f"drp-run:{run_id}",
                               after={"reason": reason})
        return True

    def require_running(self, run_id: int) -> dict[str, Any]:
        run = self.run(run_id)
        if run["state"] != RunState.RUNNING:
            raise BadInput(f"run {run_id} is {run['state']}")
        return run

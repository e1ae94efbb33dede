"""What `spbe drp …` and the API do, checked and authorised before anything is written;
who may act is decided in `authority.Authority`, refusals exit 3 and are audit-logged."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from spbe_monitor.authority import Acting, Authority
from spbe_monitor.clock import Clock
from spbe_monitor.config.loader import Config
from spbe_monitor.config.models import Person
from spbe_monitor.drp.announce import tell_now
from spbe_monitor.drp.checklist import ticked
from spbe_monitor.drp.journal import Journal
from spbe_monitor.drp.lease import RunnerLeases
from spbe_monitor.drp.playbook import (
    Playbook,
    check_playbook_id,
    find_playbook,
    load_playbook,
    playbook_from_text,
)
from spbe_monitor.drp.progress import ready, satisfied
from spbe_monitor.drp.status import (
    RunnerStatus,
    RunState,
    RunStatus,
    StepState,
    StepStatus,
    attempts,
)
from spbe_monitor.drp.steps.wait_healthy import Config as WaitHealthy
from spbe_monitor.drp.timing import normalisation_seconds, services_timing
from spbe_monitor.errors import BadInput, ConfigError, NotFound
from spbe_monitor.ledger.store import Store
from spbe_monitor.regulation.disaster import Category, Response, assess
from spbe_monitor.regulation.roles import Role
from spbe_monitor.timeparse import parse_time


class Drp:
    def __init__(self, config: Config, store: Store, clock: Clock) -> None:
        self.config, self.store, self.clock = config, store, clock
        self.journal = Journal(store)
        self.authority = Authority(config, store, clock)

    def playbook(self, name: str) -> Playbook:
        return load_playbook(find_playbook(self.config, name), self.config)

    def playbook_of(self, run_id: int, acting: bool = False) -> Playbook:
        """The run's playbook as it started: its text is kept with the run, so a run
        carries on at a secondary site without the primary's files. Runs from before that
        (no text kept) need the very file they started with to act on them."""
        run = self.journal.run(run_id)
        path = Path(run["playbook_path"])
        if run["playbook_text"] is not None:
            return playbook_from_text(run["playbook_text"], path, self.config)
        book = self.playbook(run["playbook_id"])
        if acting and book.sha256 != run["playbook_sha256"]:
            raise BadInput(f"{run['playbook_path']} changed since run {run_id} started "
                           f"(sha256 {run['playbook_sha256'][:12]}… then, "
                           f"{book.sha256[:12]}… now); restore it to carry on")
        return book

    def file_changed(self, run_id: int) -> bool | None:
        """Whether the playbook file differs from what the run started with (None: the
        file is not here, e.g. at the secondary site)."""
        run = self.journal.run(run_id)
        try:  # this site's file of that id: the path the run started from may be elsewhere
            current = self.playbook(run["playbook_id"])
        except (ConfigError, NotFound):
            return None
        return bool(current.sha256 != run["playbook_sha256"])

    def approve_document(self, name: str, who: Acting) -> Playbook:
        self.authority.drp_opening(who, "drp.document.approve", name)
        book = self.playbook(name)
        actor = self.authority.drp_document(who, book)
        self.journal.approve_document(book, actor, self.clock.now())
        return book

    def approved_playbook(self, name: str) -> Playbook:
        """The text last approved for this playbook, from the ledger: what a disaster runs
        when the file was edited since, or is not there (a secondary site with only the
        configuration and the ledger's replica)."""
        check_playbook_id(name)
        approval = self.journal.last_approval(name)
        if approval is None or not approval["text"]:
            raise NotFound(f"no approved text of playbook {name!r} in the ledger: a Penyedia "
                           "Layanan approves it first (drp approve-document)")
        return playbook_from_text(approval["text"], self.config.playbooks_dir / f"{name}.yaml",
                                  self.config)

    def start(self, name: str, mode: str, who: Acting, disaster_at: str | None,
              approved: bool = False) -> int:
        self.authority.drp_opening(who, "drp.start", name)
        book = self.approved_playbook(name) if approved else self.playbook(name)
        actor = self.authority.drp_start(who, book, mode)
        now = self.clock.now()
        approval = self.journal.document_approval(book)
        if mode == "disaster" and approval is None:
            raise self.authority.refuse(actor, "drp.start", f"playbook:{book.id}",
                               f"playbook {book.id} (sha256 {book.sha256[:12]}…) has no "
                               "approval by a Penyedia Layanan for these exact contents: it "
                               "is unapproved or was changed since approval")
        active = [r["id"] for r in self.journal.runs()
                  if r["playbook_id"] == book.id and r["state"] == RunState.RUNNING]
        if active:
            raise self.authority.refuse(actor, "drp.start", f"playbook:{book.id}",
                               f"run {active[0]} of {book.id} is still active: one run per "
                               "playbook (finish or abort it first)")
        when = parse_time(disaster_at, self.config.settings.timezone, "--disaster-at") \
            if disaster_at else now
        if when > now:
            raise BadInput("--disaster-at is in the future")
        return self.journal.create_run(book, mode, actor, now, when, approval is not None)

    def approve(self, run_id: int, step_id: str, who: Acting, note: str | None,
                scenario: dict[str, Any] | None = None, checked: Sequence[str] = (),
                all_checked: bool = False) -> dict[str, Any]:
        """Sign a gate, an approval step, or confirm a manual step; returns what was
        recorded with it. An assessment answers its checklist; `analyse` records the
        scenario's Tabel 4.3 verdict; in a disaster, `declare` needs it to say Pemulihan."""
        run = self.journal.require_running(run_id)
        book = self.playbook_of(run_id, acting=True)
        step = self.journal.step(run_id, step_id)
        subject = f"drp-run:{run_id}/{step_id}"
        output: dict[str, Any] = {}

        def valid() -> None:
            open_now = {s["step_id"] for s in ready(self.journal.steps(run_id), book)}
            if step_id not in open_now:
                reason = f"{step_id} is {step['state']} and not open for approval yet"
                self.store.record_refusal(self.clock.now(), who.actor, "drp.approve", subject,
                                          reason)
                raise BadInput(reason)
            gate = next((g for g in book.gates if g.step.id == step_id), None)
            answers = ticked(step_id, gate.gate.checklist if gate else (), checked,
                             all_checked, note)
            if answers:
                output["checklist"] = answers
            if step_id == "analyse":
                output["tabel_4_3"] = self._analysed(scenario)
            if step_id == "declare" and run["mode"] == "disaster":
                analysed = self.analysis(run_id)
                if analysed.get("response") != Response.PEMULIHAN.value:
                    raise self.authority.refuse(
                        who.actor, "drp.approve", subject, "the analysis (Tabel 4.3) found "
                        f"{analysed.get('response', 'nothing')}: the disaster criteria are "
                        "not met")

        actor = self.authority.drp_step(who, book, run_id, step_id, run["started_by"], valid)
        now = self.clock.now()
        moved = self.journal.move(
            run_id, step_id, {StepState.PENDING, StepState.WAITING_APPROVAL}, StepState.DONE,
            now, "step.approved",
            by=actor, audit=True,
            detail={"note": note, "eselon": who.person.eselon if who.person else None,
                    "name": who.person.name if who.person else None, **output},
            finished_at=now, waiting_since=step["waiting_since"] or now, note=note,
            output=json.dumps(output))
        if not moved:
            raise BadInput(f"{step_id} changed meanwhile; see `spbe drp status {run_id}`")
        if step_id == "declare":
            self.journal.declared(run_id, now)
        return output

    def reassess(self, run_id: int, who: Acting, scenario: dict[str, Any] | None,
                 note: str | None) -> dict[str, Any]:
        """Tabel 4.3 again inside an open run — the disaster grew (an outage now past 24 h,
        data found lost) or shrank: a new row signed by whoever may sign the analysis, the
        earlier ones kept; a disaster's declaration reads the newest."""
        run = self.journal.require_running(run_id)
        book = self.playbook_of(run_id, acting=True)
        verdict: dict[str, Any] = {}

        def valid() -> None:
            if self.journal.step(run_id, "analyse")["state"] != StepState.DONE:
                raise BadInput("the first analysis is the analyse step: sign it with `drp "
                               f"approve {run_id} analyse`; reassess comes after it")
            verdict.update(self._analysed(scenario))

        actor = self.authority.drp_step(who, book, run_id, "analyse", run["started_by"],
                                        valid, action="drp.reassess")
        self.journal.reassessed(run_id, self.clock.now(), actor,
                                {"note": note, "tabel_4_3": verdict})
        return verdict

    def analysis(self, run_id: int) -> dict[str, Any]:
        """The run's Tabel 4.3 verdict now: the newest reassessment, else the analysis."""
        again = [e for e in self.journal.entries(run_id) if e["event"] == "analysis.reassessed"]
        if again:
            found: dict[str, Any] = json.loads(again[-1]["detail"] or "{}").get("tabel_4_3", {})
            return found
        first: dict[str, Any] = self.journal.step(run_id, "analyse")["output"].get(
            "tabel_4_3", {})
        return first

    @staticmethod
    def _analysed(scenario: dict[str, Any] | None) -> dict[str, Any]:
        """The Tabel 4.3 row and verdict `analyse` records with its scenario."""
        if scenario is None:
            raise BadInput("analyse records Tabel 4.3: give --category (and "
                           "--recovery-days, --downtime-hours, --data-lost as they apply)")
        verdict = assess(Category(scenario["category"]), scenario.get("recovery_days", 0),
                         scenario.get("downtime_hours", 0), scenario.get("data_lost", False))
        return {"response": verdict.response.value, "row": verdict.row,
                "reason": verdict.reason, **scenario}

    def decide(self, run_id: int, step_id: str, decision: str, reason: str,
               who: Acting, recovered_at: str | None = None) -> None:
        """An operator's decision on an in-doubt or failed step: retry, skip or mark-done.
        Marking a `wait_healthy` done needs the time the services were seen recovered, so
        the RTO is still measured."""
        run = self.journal.require_running(run_id)
        step = self.journal.step(run_id, step_id)
        if not reason.strip():
            raise BadInput("--reason is required: say what was verified")
        subject = f"drp-run:{run_id}/{step_id}"
        book = self.playbook_of(run_id)
        actor = self.authority.drp_steer(who, book, f"deciding ({decision})",
                                         f"drp.step.{decision}", subject)
        output = self._recovered(book, run, step, decision, recovered_at)
        stuck = {StepState.IN_DOUBT, StepState.FAILED}
        moves = {"retry": (stuck, StepState.PENDING),
                 "skip": (stuck | {StepState.PENDING, StepState.WAITING_APPROVAL},
                          StepState.SKIPPED),
                 "mark-done": (stuck, StepState.DONE)}
        allowed, new = moves[decision]
        if (step["phase"] == "declaration" or step["kind"] == "approval") \
                and decision != "retry":
            raise self.authority.refuse(actor, f"drp.step.{decision}", subject,
                               "declaration and approval steps are signed, never skipped "
                               "or marked done")
        now = self.clock.now()
        extra: dict[str, Any] = {"note": reason}
        if new == StepState.DONE:
            extra["finished_at"] = now
        if output:
            extra["output"] = json.dumps(output)
        if not self.journal.move(run_id, step_id, allowed, new, now, f"step.{decision}",
                                 by=actor, audit=True, detail={"reason": reason, **output},
                                 **extra):
            raise BadInput(f"{step_id} is {step['state']}: {decision} applies to "
                           + ", ".join(sorted(allowed)))

    def _recovered(self, book: Playbook, run: dict[str, Any], step: dict[str, Any],
                   decision: str, recovered_at: str | None) -> dict[str, Any]:
        """What a wait_healthy marked done records: when the services were recovered."""
        settings = book.steps.get(step["step_id"], (None, None))[1]
        if not isinstance(settings, WaitHealthy) or decision != "mark-done":
            if recovered_at is not None:
                raise BadInput("--recovered-at belongs to marking a wait_healthy step done")
            return {}
        if recovered_at is None:
            raise BadInput(f"{step['step_id']} measures the RTO: give --recovered-at, when "
                           "the services were seen working at the secondary site")
        zone = self.config.services[settings.services[0]].zone
        when = parse_time(recovered_at, zone, "--recovered-at")
        now = self.clock.now()
        if when > now:
            raise BadInput("--recovered-at is in the future")
        if run["declared_at"] is None or when < run["declared_at"]:
            raise BadInput("--recovered-at is before the declaration: the RTO is counted "
                           "from the declaration")
        return {"healthy_at": when.isoformat(), "services": list(settings.services),
                "site": settings.site, "entered": True}

    def abort(self, run_id: int, reason: str, who: Acting) -> list[str]:
        """End the run for good. Its runner, if one drives it, stops the running steps and
        tells the war room; with none, the war room is told from here. Returns what could
        not be told."""
        self.journal.require_running(run_id)
        if not reason.strip():
            raise BadInput("--reason is required")
        book = self.playbook_of(run_id)
        actor = self.authority.drp_steer(who, book, "aborting a run", "drp.aborted",
                                         f"drp-run:{run_id}")
        self.journal.finish(run_id, RunState.ABORTED, self.clock.now(), reason, actor=actor)
        if self._runner(run_id).alive:
            return []
        return tell_now(self.config, book, run_id, self.journal.run(run_id), "run.aborted",
                        self.clock)

    def status(self, run_id: int) -> RunStatus:
        run = self.journal.run(run_id)
        book = self.playbook_of(run_id)
        steps = self.journal.steps(run_id)
        journal = self.journal.entries(run_id)
        tried = attempts(journal, self.journal.live_tails(run_id))
        timing = services_timing(run, steps, book, self.config.services, journal,
                                 self.clock.now())
        zone = self.config.services[book.head.services[0]].zone
        return RunStatus(
            run_id, run["playbook_id"], run["playbook_version"], run["playbook_sha256"],
            run["document_approved"], self.file_changed(run_id), run["mode"], run["state"],
            run["started_by"], run["started_at"], run["disaster_at"], run["declared_at"],
            run["finished_at"], run["reason"],
            tuple(StepStatus(s["step_id"], s["phase"], s["kind"], s["state"], s["attempts"],
                             s["waiting_since"], s["started_at"], s["finished_at"],
                             s["actor"], s["note"], s["output"], tried.get(s["step_id"], ()))
                  for s in steps),
            timing, normalisation_seconds(steps),
            tuple(s["step_id"] for s in steps if s["state"] in (StepState.FAILED,
                                                                 StepState.IN_DOUBT)
                  and not satisfied(s, book)),
            self._runner(run_id) if run["state"] == RunState.RUNNING else None, zone)

    def _runner(self, run_id: int) -> RunnerStatus:
        """Who drives the run now, or since when nobody does."""
        lease = RunnerLeases(self.store.engine).current(run_id)
        if lease is None:
            return RunnerStatus(False, None, None)
        return RunnerStatus(lease.alive(self.clock.now()), lease.holder, lease.renewed_at)

    def formulir_g(self, run_id: int) -> dict[str, Any]:
        from spbe_monitor.drp import formulir_g

        status = self.status(run_id)
        book = self.playbook_of(run_id)
        steps = {sid: s for sid, (_, s) in book.steps.items()}
        titles = {g.step.id: g.step.title for g in book.gates} | {
            sid: s.title for sid, s in steps.items()}
        expected = {sid: s.expected.total_seconds() if s.expected else None
                    for sid, s in steps.items()}
        def signer(role: Role) -> Person | None:
            """The most senior holder of `role` for a service the playbook recovers."""
            found = [p for p in self.config.people.values() if role in p.roles
                     and set(book.head.services) & set(p.services)]
            return min(found, key=lambda p: p.eselon.rank if p.eselon else 99, default=None)

        services = self.config.services
        setting = formulir_g.Setting(
            self.config.people, {sid: svc.name for sid, svc in services.items()},
            services[book.head.services[0]].zone, titles, expected,
            {sid: s.needs for sid, s in steps.items()}, book.head.allow_starter_declaration,
            signer(Role.KOORDINATOR_PEMULIHAN), signer(Role.PENYEDIA_LAYANAN),
            self.config.settings.reports.place)
        return formulir_g.build(status, self.journal.entries(run_id), setting)

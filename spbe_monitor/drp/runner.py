"""The foreground runner: starts every step that may start, waits at gates for `spbe drp
approve` from any terminal (it reads the journal every second), and writes each transition
before and after acting. It holds the run's lease (one runner per run). Killed at any
moment, `spbe drp resume` carries on; a step it finds `running` becomes `in_doubt` and waits
for an operator. A failed step waits for the Koordinator's decision too (retry, skip or
abort): the run, its declaration and its RTO clock go on, unless the step says
`on_failure: abort`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from spbe_monitor.clock import Clock
from spbe_monitor.config.loader import Config
from spbe_monitor.drp.announce import announcement, run_facts, tell
from spbe_monitor.drp.journal import Journal
from spbe_monitor.drp.lease import RENEW_EVERY, RunnerLeases, this_process
from spbe_monitor.drp.playbook import Playbook
from spbe_monitor.drp.progress import blocking_failure, ready, satisfied
from spbe_monitor.drp.status import RunState, StepState
from spbe_monitor.drp.steps import KINDS
from spbe_monitor.drp.steps.base import StepContext, StepOutcome
from spbe_monitor.errors import Refused
from spbe_monitor.probers.context import ProbeContext
from spbe_monitor.reports.words import waktu_detik

POLL_SECONDS = 1.0


class Runner:
    def __init__(self, config: Config, journal: Journal, playbook: Playbook, run_id: int,
                 clock: Clock, say: Callable[[str], None], holder: str | None = None) -> None:
        self.config, self.journal, self.playbook = config, journal, playbook
        self.run_id, self.clock, self.say = run_id, clock, say
        self.holder = holder or this_process()
        self.leases = RunnerLeases(journal.engine)
        self.probes = ProbeContext()
        self.tasks: dict[str, asyncio.Task[StepOutcome]] = {}
        self.told: set[tuple[str, int]] = set()  # (step, attempt) already announced

    def _ctx(self, run: dict[str, Any], step: dict[str, Any] | None = None) -> StepContext:
        """A step's context; for a step's attempt, its output is persisted as it comes."""
        def tail(text: str) -> None:
            assert step is not None
            self.journal.live_tail(self.run_id, step["step_id"], step["attempts"] + 1, text,
                                   self.clock.now())

        facts = run_facts(self.run_id, self.playbook, run)
        if step is None:
            return StepContext(self.config, self.clock, self.probes, facts)
        return StepContext(self.config, self.clock, self.probes, facts, tail)

    def _doubt_interrupted(self) -> None:
        tails = self.journal.live_tails(self.run_id)
        for s in self.journal.steps(self.run_id):
            if s["state"] == StepState.RUNNING and s["step_id"] not in self.tasks:
                attempt, printed = tails.get(s["step_id"], (0, ""))
                partial = {"output_tail": printed} if attempt == s["attempts"] and printed \
                    else {}
                self.journal.move(self.run_id, s["step_id"], {StepState.RUNNING},
                                  StepState.IN_DOUBT, self.clock.now(), "step.in_doubt",
                                  detail={"why": "the runner stopped while it ran",
                                          "attempt": s["attempts"], **partial})
                self.say(f"  {s['step_id']}: IN DOUBT — it was running when the runner "
                         "stopped; verify, then `spbe drp step "
                         f"{self.run_id} {s['step_id']} retry|skip|mark-done --reason …`")

    async def _phase_changes(self, steps: list[dict[str, Any]], run: dict[str, Any]) -> None:
        """Tell everyone concerned at every phase change (journal once, webhooks once)."""
        seen = {e["event"] for e in self.journal.entries(self.run_id)}
        for phase, previous in (("recovery", "declaration"), ("normalisation", "recovery")):
            event = f"phase.{phase}"
            if event in seen:
                continue
            if all(satisfied(s, self.playbook) for s in steps if s["phase"] == previous):
                self.journal.move_run_event(self.run_id, self.clock.now(), event)
                self.say(f"== phase: {phase}")
                await self._announce(run, event)

    async def _announce(self, run: dict[str, Any], event: str, step: str | None = None,
                        detail: str | None = None) -> None:
        news = announcement(self.config, self.playbook, self.run_id, run, event,
                            self.clock.now(), step, detail)
        for problem in await tell(self.playbook, news, self._ctx(run)):
            self.say(f"  {problem}")

    async def _execute(self, step: dict[str, Any], run: dict[str, Any]) -> StepOutcome:
        """One attempt of `step` (its row as it was before this attempt started)."""
        _, settings = self.playbook.steps[step["step_id"]]
        execute = KINDS[settings.kind][1]
        assert execute is not None
        try:
            # the runner owns the deadline (kinds with their own finer limits stop sooner)
            return await asyncio.wait_for(execute(settings, self._ctx(run, step)),
                                          settings.timeout.total_seconds() + 5)
        except TimeoutError:
            return StepOutcome(False, f"no result within {settings.timeout.total_seconds():g} s")
        except Exception as exc:  # a step bug must not kill the run
            return StepOutcome(False, f"step error: {type(exc).__name__}: {exc}")

    def _finished(self, step_id: str, outcome: StepOutcome, now: datetime) -> None:
        _, settings = self.playbook.steps[step_id]
        step = self.journal.step(self.run_id, step_id)
        state = StepState.DONE if outcome.ok else StepState.FAILED
        attempt, printed = self.journal.live_tails(self.run_id).get(step_id, (0, ""))
        tail = printed if attempt == step["attempts"] and printed else outcome.output.get(
            "output")
        self.journal.move(self.run_id, step_id, {StepState.RUNNING}, state, now,
                          f"step.{state}",
                          detail={"message": outcome.message, "attempt": step["attempts"],
                                  **({"output_tail": str(tail)[-4096:]} if tail else {})},
                          finished_at=now,
                          note=outcome.message,
                          output=json.dumps(outcome.output, default=str))
        self.say(f"  {step_id}: {state} — {outcome.message}")
        if not outcome.ok and step["attempts"] <= settings.retries:
            self.journal.move(self.run_id, step_id, {StepState.FAILED}, StepState.PENDING, now,
                              "step.retry",
                              detail={"attempt": step["attempts"] + 1})

    async def run(self) -> str:
        """Until the run is done, failed or aborted; returns that state. Refused while
        another runner's lease on the run is live."""
        before = self.leases.current(self.run_id)
        other = self.leases.take(self.run_id, self.holder, self.clock.now())
        if other is not None:
            zone = self.config.services[self.playbook.head.services[0]].zone
            raise Refused(f"run {self.run_id} is driven by another runner ({other.holder}, "
                          f"lease renewed {waktu_detik(other.renewed_at, zone)}); only "
                          "one runner per run — stop it first, or wait until its lease lapses")
        detail: dict[str, Any] = {"holder": self.holder}
        if before is not None and before.holder != self.holder:  # it died without a word
            detail["dead_since"] = before.renewed_at.isoformat()
        self.journal.move_run_event(self.run_id, self.clock.now(), "runner.start", detail)
        state = "lost"
        try:
            if "dead_since" in detail:
                await self._announce(self.journal.run(self.run_id), "runner.resumed",
                                     detail=f"pelaksana {before.holder if before else '?'} "
                                     "tidak memperbarui sewanya")
            state = await self._drive()
            if state in (RunState.DONE, RunState.FAILED, RunState.ABORTED):
                await self._announce(self.journal.run(self.run_id), f"run.{state}")
            return state
        finally:
            if state != "lost":
                self.journal.move_run_event(self.run_id, self.clock.now(), "runner.stop",
                                            {"holder": self.holder})
            self.leases.release(self.run_id, self.holder)

    async def _drive(self) -> str:
        self._doubt_interrupted()
        renewed = self.clock.now()
        while True:
            now = self.clock.now()
            if now - renewed >= RENEW_EVERY:
                if not self.leases.renew(self.run_id, self.holder, now):
                    self.say(f"run {self.run_id}: another runner took over the lease; "
                             "stopping this one")
                    return "lost"
                renewed = now
            run = self.journal.run(self.run_id)
            if run["state"] != RunState.RUNNING:
                await self._stop_steps(str(run["state"]))
                return str(run["state"])
            steps = self.journal.steps(self.run_id)
            await self._phase_changes(steps, run)
            failure = blocking_failure(steps, self.playbook)
            if failure is not None and not self.tasks:
                if self.playbook.steps[failure["step_id"]][1].on_failure == "abort":
                    self.journal.finish(self.run_id, RunState.FAILED, self.clock.now(),
                                        f"step {failure['step_id']} failed: {failure['note']}")
                    return RunState.FAILED
                await self._ask_decision(failure, run)
            if not self.tasks and all(satisfied(s, self.playbook) for s in steps):
                self.journal.finish(self.run_id, RunState.DONE, self.clock.now())
                return RunState.DONE
            for s in ready(steps, self.playbook):
                now = self.clock.now()
                sid = s["step_id"]
                if s["kind"] in ("gate", "manual", "approval"):
                    if s["state"] == StepState.PENDING and self.journal.move(
                            self.run_id, sid, {StepState.PENDING}, StepState.WAITING_APPROVAL, now,
                            "step.waiting", waiting_since=now):
                        self.say(f"  {sid}: waiting — `spbe drp approve {self.run_id} {sid}`")
                    continue
                if sid in self.tasks:  # a failure stops its own branch only (by `needs`)
                    continue
                if self.journal.move(self.run_id, sid, {StepState.PENDING}, StepState.RUNNING, now,
                                     "step.running", started_at=now, finished_at=None,
                                     attempts=s["attempts"] + 1):
                    self.say(f"  {sid}: running")
                    self.tasks[sid] = asyncio.create_task(self._execute(s, run))
            if self.tasks:
                done, _ = await asyncio.wait(self.tasks.values(), timeout=POLL_SECONDS,
                                             return_when=asyncio.FIRST_COMPLETED)
                for sid, task in list(self.tasks.items()):
                    if task in done:
                        del self.tasks[sid]
                        outcome = task.result()
                        self._finished(sid, outcome, self.clock.now())
                        if outcome.ok and self._rto_point(sid):
                            await self._announce(run, "rto.met", sid)
            else:
                await self.clock.sleep(POLL_SECONDS)

    async def _stop_steps(self, state: str) -> None:
        """The run ended (aborted) while steps ran: they are stopped — a command is killed
        with what it started — and recorded as failed, never left "running" for ever."""
        if not self.tasks:
            return
        for task in self.tasks.values():
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        now = self.clock.now()
        tails = self.journal.live_tails(self.run_id)
        for sid in self.tasks:
            message = "dihentikan: pelaksanaan DRP dihentikan saat langkah ini berjalan"
            printed = tails.get(sid, (0, ""))[1]  # what it had printed is kept
            self.journal.move(self.run_id, sid, {StepState.RUNNING}, StepState.FAILED, now,
                              "step.stopped", detail={
                                  "message": message,
                                  **({"output_tail": printed[-4096:]} if printed else {})},
                              finished_at=now, note=message, output=json.dumps(
                                  {"output": printed[-4096:]} if printed else {}))
            self.say(f"  {sid}: stopped, the run was {state} while it ran")
        self.tasks.clear()

    async def _ask_decision(self, step: dict[str, Any], run: dict[str, Any]) -> None:
        """Once per failed attempt: the branch waits for the Koordinator Pemulihan."""
        key = (step["step_id"], step["attempts"])
        if key in self.told:
            return
        self.told.add(key)
        self.say(f"  {step['step_id']}: FAILED — waiting for a Koordinator Pemulihan's "
                 f"decision: fix the cause, then `spbe drp step {self.run_id} "
                 f"{step['step_id']} retry --reason …`, or `skip --reason …`, or "
                 f"`spbe drp abort {self.run_id} --reason …`")
        await self._announce(run, "step.failed", step["step_id"], step.get("note"))

    def _rto_point(self, step_id: str) -> bool:
        """A recovery's wait_healthy that passed: the services seen back, the RTO point."""
        phase, settings = self.playbook.steps[step_id]
        return phase == "recovery" and settings.kind == "wait_healthy"

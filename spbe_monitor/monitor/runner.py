"""Scheduling: every probe on its own fixed interval (no drift), first run jittered, bounded
concurrency, and the deadline owned here rather than by each probe. A check still running
when its next turn comes is skipped and counted, never stacked."""

from __future__ import annotations

import asyncio
import dataclasses
import heapq
import logging
import random
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from spbe_monitor.clock import Clock
from spbe_monitor.probers import KINDS
from spbe_monitor.probers.base import ErrorKind, ProbeResult, ProbeSettings, error_kind_of
from spbe_monitor.probers.context import ProbeContext
from spbe_monitor.probers.needs import missing

log = logging.getLogger("spbe.runner")
OnResult = Callable[[ProbeSettings, ProbeResult, datetime], None]
EARLY = 0.001  # a check due within this many seconds starts now: a shorter sleep costs more


def _ring(alarm: asyncio.Future[None]) -> None:
    if not alarm.done():
        alarm.set_result(None)


async def run_once(cfg: ProbeSettings, ctx: ProbeContext) -> ProbeResult:
    """One check under its deadline; whatever goes wrong becomes a failed result."""
    _, probe = KINDS[cfg.kind]
    started = time.perf_counter()
    try:
        async with asyncio.timeout(cfg.timeout.total_seconds()):
            result = await probe(cfg, ctx)
    except TimeoutError:
        result = ProbeResult(False, time.perf_counter() - started, ErrorKind.TIMEOUT,
                             f"no answer within {cfg.timeout.total_seconds():g} s")
    except Exception as exc:  # a probe bug must not stop monitoring
        if error_kind_of(exc) is not ErrorKind.LOCAL:
            log.exception("probe %s raised", cfg.id)
        result = ProbeResult(False, time.perf_counter() - started, error_kind_of(exc),
                             f"probe error: {type(exc).__name__}: {exc}")
    return result if result.ok else _blamed(cfg, result)


def _blamed(cfg: ProbeSettings, result: ProbeResult) -> ProbeResult:
    """A failed check whose cause may be the monitor's own: every kind of probe reports
    its failures its own way, so ask the machine once, here, whether what the probe needs
    on this host is there (its key, its CA, its secret's variable: probers/needs.py) and
    whether it can open a socket now. If not, the check observed nothing of the target:
    the failure is LOCAL, unobserved time, never the service's downtime."""
    cause = result.message
    lacking = [f"{n.setting}: {why}" for n in cfg.needs() if n.kind != "path"
               for why in [missing(n)] if why]
    if lacking:
        cause = "; ".join(lacking)
    elif result.error_kind is not ErrorKind.LOCAL:
        try:
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM).close()
            return result
        except OSError as exc:
            if error_kind_of(exc) is not ErrorKind.LOCAL:
                return result
            cause = f"{exc.strerror}; the check said: {result.message}"
    return dataclasses.replace(result, error_kind=ErrorKind.LOCAL, message=(
        f"not observed: the monitor itself could not check ({cause})"))


@dataclass
class RunnerStats:
    checks: int = 0
    skipped: int = 0
    lateness: list[float] = field(default_factory=list)  # seconds, a bounded recent window

    def late(self, seconds: float) -> None:
        self.lateness.append(seconds)
        if len(self.lateness) > 100_000:
            del self.lateness[:50_000]


class Runner:
    def __init__(self, probes: dict[str, ProbeSettings], on_result: OnResult, clock: Clock,
                 ctx: ProbeContext, concurrency: int = 512, seed: int | None = None) -> None:
        self.probes = probes
        self.on_result = on_result
        self.clock = clock
        self.ctx = ctx
        self.stats = RunnerStats()
        self._sem = asyncio.Semaphore(concurrency)
        self._running: dict[str, asyncio.Task[None]] = {}
        self._rng = random.Random(seed)
        self._alarm: asyncio.Future[None] | None = None

    async def _check(self, cfg: ProbeSettings, due: float) -> None:
        async with self._sem:
            self.stats.late(max(0.0, self.clock.monotonic() - due))
            at = self.clock.now()
            result = await run_once(cfg, self.ctx)
        self.stats.checks += 1
        self.on_result(cfg, result, result.observed_at or at)

    async def run(self, stop: asyncio.Event) -> None:
        now = self.clock.monotonic()
        heap = [(now + self._rng.uniform(0, p.interval.total_seconds()), pid)
                for pid, p in self.probes.items()]
        heapq.heapify(heap)
        watcher = asyncio.create_task(self._wake_on(stop))
        try:
            while heap and not stop.is_set():
                due, pid = heap[0]
                wait = due - self.clock.monotonic()
                if wait > EARLY:
                    await self._sleep(wait)
                    continue
                heapq.heapreplace(heap, (due + self.probes[pid].interval.total_seconds(), pid))
                if pid in self._running:
                    self.stats.skipped += 1
                    continue
                task = asyncio.create_task(self._check(self.probes[pid], due))
                self._running[pid] = task
                task.add_done_callback(partial(self._finished, pid))
        finally:  # also when a reload cancels this runner
            watcher.cancel()
        await self.drain()

    async def _sleep(self, seconds: float) -> None:
        """Until the next check is due or the runner is stopped: a timer and a future, where
        `wait_for` would make a task each time (at thousands of checks a second, the
        scheduler sleeps between almost every two)."""
        loop = asyncio.get_running_loop()
        self._alarm = alarm = loop.create_future()
        timer = loop.call_later(seconds, _ring, alarm)
        try:
            await alarm
        finally:
            timer.cancel()

    async def _wake_on(self, stop: asyncio.Event) -> None:
        await stop.wait()
        if self._alarm is not None:
            _ring(self._alarm)

    def _finished(self, pid: str, _task: asyncio.Task[None]) -> None:
        self._running.pop(pid, None)

    async def drain(self, grace: float = 5.0) -> None:
        """Let in-flight checks finish for a moment, then cancel the rest."""
        tasks = list(self._running.values())
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=grace)
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

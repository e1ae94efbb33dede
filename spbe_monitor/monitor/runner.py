"""Scheduling: every probe on its own fixed interval (no drift), first run jittered, bounded
concurrency, and the deadline owned here rather than by each probe. A check still running
when its next turn comes is skipped and counted, never stacked."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from spbe_monitor.clock import Clock
from spbe_monitor.probers import KINDS
from spbe_monitor.probers.base import ErrorKind, ProbeResult, ProbeSettings
from spbe_monitor.probers.context import ProbeContext

log = logging.getLogger("spbe.runner")
OnResult = Callable[[ProbeSettings, ProbeResult, datetime], None]


async def run_once(cfg: ProbeSettings, ctx: ProbeContext) -> ProbeResult:
    """One check under its deadline; whatever goes wrong becomes a failed result."""
    _, probe = KINDS[cfg.kind]
    started = time.perf_counter()
    try:
        async with asyncio.timeout(cfg.timeout.total_seconds()):
            return await probe(cfg, ctx)
    except TimeoutError:
        return ProbeResult(False, time.perf_counter() - started, ErrorKind.TIMEOUT,
                           f"no answer within {cfg.timeout.total_seconds():g} s")
    except Exception as exc:  # a probe bug must not stop monitoring
        log.exception("probe %s raised", cfg.id)
        return ProbeResult(False, time.perf_counter() - started, ErrorKind.ERROR,
                           f"probe error: {type(exc).__name__}: {exc}")


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

    async def _check(self, cfg: ProbeSettings, due: float) -> None:
        async with self._sem:
            self.stats.late(max(0.0, self.clock.monotonic() - due))
            at = self.clock.now()
            result = await run_once(cfg, self.ctx)
        self.stats.checks += 1
        self.on_result(cfg, result, at)

    async def run(self, stop: asyncio.Event) -> None:
        now = self.clock.monotonic()
        heap = [(now + self._rng.uniform(0, p.interval.total_seconds()), pid)
                for pid, p in self.probes.items()]
        heapq.heapify(heap)
        while heap and not stop.is_set():
            due, pid = heap[0]
            wait = due - self.clock.monotonic()
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=wait)
                continue
            heapq.heapreplace(heap, (due + self.probes[pid].interval.total_seconds(), pid))
            if pid in self._running:
                self.stats.skipped += 1
                continue
            task = asyncio.create_task(self._check(self.probes[pid], due))
            self._running[pid] = task
            task.add_done_callback(partial(self._finished, pid))
        await self.drain()

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

"""`spbe agent run`: probe from another site for a central daemon.

The agent pulls the probes assigned to its location (again every minute, so the central
inventory stays the one to edit), runs them with the daemon's own runner and probe kinds,
and pushes the results in batches every second. While the central daemon cannot be reached
the results go to a spool file (fsync'd, in order) and are pushed from there, oldest first,
once it answers again: the central daemon judges them at the time they were observed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp

from spbe_monitor.agent.protocol import PUSH_BATCH, Observed, probe_from_json, probe_to_json
from spbe_monitor.clock import SystemClock
from spbe_monitor.errors import Refused, first_line
from spbe_monitor.ledger import witness
from spbe_monitor.ledger.spool import Spool
from spbe_monitor.monitor.runner import Runner
from spbe_monitor.probers.base import ProbeResult, ProbeSettings
from spbe_monitor.probers.context import ProbeContext

log = logging.getLogger("spbe.agent")
PUSH_SECONDS = 1.0
REFRESH_SECONDS = 60.0
COMPLAIN_SECONDS = 60.0


class Unreachable(Exception):
    """The central daemon did not take the push; keep the results."""


class Agent:
    def __init__(self, url: str, token: str, folder: Path, ca_file: Path | None = None,
                 concurrency: int = 256) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.folder = folder
        self.spool = Spool(folder / "results.spool")
        self.cache = folder / "probes.json"  # the last probes received: start without them
        self.outbox: list[Observed] = []
        self.clock = SystemClock()
        self.concurrency = concurrency
        self.location: str | None = None
        self._ssl = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        self._seq = 0
        self._complained = -COMPLAIN_SECONDS
        self.pushed_total = 0
        # a copy of the central's audit witness, kept at this location (off its machine)
        self.witness = folder / witness.NAME
        self._witnessed: int | None = None  # the newest checkpoint in it, once read

    # --- talking to the central daemon ---------------------------------------------------

    async def _call(self, session: aiohttp.ClientSession, method: str, path: str,
                    body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            async with session.request(method, self.url + path, json=body, headers=headers,
                                       ssl=self._ssl,
                                       timeout=aiohttp.ClientTimeout(total=15)) as r:
                data = await r.json(content_type=None)
                if r.status == 401:
                    raise Refused(f"{self.url} refused this agent's token: "
                                  f"{data.get('error', '')}")
                if r.status != 200:
                    raise Unreachable(f"{r.status}: {data.get('error', '')}")
                return data
        except (aiohttp.ClientError, TimeoutError, ValueError, OSError) as exc:
            raise Unreachable(first_line(exc) or type(exc).__name__) from None

    async def fetch(self, session: aiohttp.ClientSession) -> list[ProbeSettings]:
        data = await self._call(session, "GET", "/api/v1/agent/probes")
        self.location = str(data["location"])
        probes = [probe_from_json(p) for p in data["probes"]]
        self.cache.write_text(json.dumps(data))
        return probes

    def cached(self) -> list[ProbeSettings]:
        if not self.cache.exists():
            return []
        data = json.loads(self.cache.read_text())
        self.location = str(data["location"])
        return [probe_from_json(p) for p in data["probes"]]

    # --- results -------------------------------------------------------------------------

    def on_result(self, cfg: ProbeSettings, result: ProbeResult, at: datetime) -> None:
        self.outbox.append(Observed(cfg.id, at, result))

    async def push(self, session: aiohttp.ClientSession) -> None:
        """The spool first, in order; then what is in memory. What cannot be pushed is
        appended to the spool, behind what is there."""
        try:
            lines = self.spool.read()
            for i in range(0, len(lines), PUSH_BATCH):
                chunk = [json.loads(payload) for _, payload in lines[i:i + PUSH_BATCH]]
                await self._send(session, chunk)
            if lines:
                self.spool.clear()
                log.warning("central daemon reachable again: %d spooled results pushed",
                            len(lines))
            while self.outbox:
                batch = self.outbox[:PUSH_BATCH]
                await self._send(session, [o.as_json() for o in batch])
                del self.outbox[:len(batch)]
        except (Unreachable, Refused) as exc:  # a refused token too: keep them for later
            self._keep(self.outbox, str(exc))
            self.outbox = []

    async def _send(self, session: aiohttp.ClientSession, results: list[Any]) -> None:
        if self._witnessed is None:
            last = witness.newest(self.witness)
            self._witnessed = last.checkpoint if last else 0
        answer = await self._call(session, "POST", "/api/v1/agent/results",
                                  {"results": results, "witnessed": self._witnessed})
        self.pushed_total += len(results)
        self._keep_witness(answer.get("witness") or [])
        if answer.get("unknown"):
            log.warning("the central daemon does not know these probes for this location "
                        "(inventory changed?): %s", ", ".join(answer["unknown"][:10]))

    def _keep_witness(self, lines: list[Any]) -> None:
        """Append the central's new checkpoint lines to this location's copy, in order;
        anything else (out of order, not a witness line) is left out and said."""
        for text in lines:
            try:
                line = witness.Line.parse(str(text))
            except (ValueError, KeyError, TypeError):
                log.error("the central daemon sent something that is no witness line")
                return
            if self._witnessed is not None and line.checkpoint <= self._witnessed:
                continue
            witness.append(self.witness, line)
            self._witnessed = line.checkpoint

    def _keep(self, batch: Sequence[Observed], why: str) -> None:
        entries = []
        for o in batch:
            self._seq += 1
            entries.append((str(self._seq), o.line()))
        self.spool.append(entries)
        now = asyncio.get_running_loop().time()
        if now - self._complained >= COMPLAIN_SECONDS:
            self._complained = now
            log.error("central daemon unreachable (%s): keeping results in %s (%d so far)",
                      why, self.spool.path, self.spool.count)

    # --- the loop ------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        async with aiohttp.ClientSession() as session:
            try:
                probes = await self.fetch(session)
            except Unreachable as exc:
                probes = self.cached()
                if not self.cache.exists():
                    raise Unreachable(f"cannot reach {self.url} and no probes cached in "
                                      f"{self.cache}: {exc}") from None
                log.warning("central daemon unreachable (%s): starting with the %d probes "
                            "cached in %s", exc, len(probes), self.cache)
            log.info("agent for location %s: %d probes, pushing to %s", self.location,
                     len(probes), self.url)
            runner, task = self._start(probes, stop)
            pusher = asyncio.create_task(self._pushing(session, stop))
            refreshed = asyncio.get_running_loop().time()
            try:
                while not stop.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=PUSH_SECONDS)
                    if asyncio.get_running_loop().time() - refreshed < REFRESH_SECONDS:
                        continue
                    refreshed = asyncio.get_running_loop().time()
                    with contextlib.suppress(Unreachable):
                        fresh = await self.fetch(session)
                        if [probe_to_json(p) for p in fresh] != [
                                probe_to_json(p) for p in runner.probes.values()]:
                            log.info("probes changed at the central daemon: %d now",
                                     len(fresh))
                            task.cancel()
                            await runner.drain()
                            runner, task = self._start(fresh, stop)
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                await runner.drain()
                await pusher
                await self.push(session)  # last results, or into the spool

    def _start(self, probes: list[ProbeSettings], stop: asyncio.Event
               ) -> tuple[Runner, asyncio.Task[None]]:
        runner = Runner({p.id: p for p in probes}, self.on_result, self.clock, ProbeContext(),
                        self.concurrency)
        return runner, asyncio.create_task(runner.run(stop))

    async def _pushing(self, session: aiohttp.ClientSession, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=PUSH_SECONDS)
            await self.push(session)

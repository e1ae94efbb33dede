"""A daemon's life as a cluster member: every third of a lease, renew its lease, declare
dead the members whose lease ran out, keep or take the leader's lock, then hand over the
units that rendezvous hashing gives to others and claim the free ones it is given.

Handing over is ordered through the durable writer: the owner closes its open outages of
the unit (flagged unobserved), then releases the claim, both as writes after everything it
wrote for the unit; the new owner claims only a free unit. A member that finds itself
reaped (paused past its lease) drops its state, waits until its queued writes met the
fence, and joins again with a new epoch.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from spbe_monitor.cluster.fence import Fence
from spbe_monitor.cluster.leader import Leadership
from spbe_monitor.cluster.units import Unit, assignment, units
from spbe_monitor.config.loader import Config
from spbe_monitor.errors import first_line
from spbe_monitor.ledger.durable import DurableWriter
from spbe_monitor.ledger.membership import MemberRow, Membership, members
from spbe_monitor.ledger.writes import ReleaseUnits

log = logging.getLogger("spbe.cluster")
Assign = Callable[[frozenset[str]], Awaitable[None]]  # the units to evaluate from now on


def config_units(config: Config) -> dict[str, Unit]:
    return units({sid: [*s.components, *s.standby] for sid, s in config.services.items()},
                 config.probes)


def config_digest(config: Config) -> str:
    """Members should evaluate the same inventory; `spbe cluster status` shows a mismatch."""
    text = repr(sorted((k, sorted(u.probes)) for k, u in config_units(config).items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def member_name(config: Config) -> str:
    server = config.settings.server
    return config.settings.cluster.member or f"{socket.gethostname()}:{server.port}"


@dataclass
class ClusterView:
    """The latest membership seen, for /metrics and the status API."""

    now: datetime | None = None
    members: list[MemberRow] = field(default_factory=list)
    leading: bool = False
    held: frozenset[str] = frozenset()


class ClusterMember:
    def __init__(self, config: Config, writer: DurableWriter, assign: Assign) -> None:
        self.config = config
        self.name = member_name(config)
        self.lease = config.settings.cluster.lease
        self.writer = writer
        self.assign = assign
        server = config.settings.server
        self.membership = Membership(writer.engine, self.name, self.lease,
                                     f"http://{server.listen}:{server.port}",
                                     config_digest(config))
        self.leadership = Leadership(writer.engine, self.name, self.lease)
        self.fence = Fence(self.name, {}, {}, int(self.lease.total_seconds() * 500))
        self.units: dict[str, Unit] = {}
        self.view = ClusterView()
        self.on_leading: Callable[[], None] | None = None
        self._session: int | None = None
        self._streak_since: float | None = None  # renewals unbroken since (monotonic)
        self._releasing: frozenset[str] = frozenset()  # handed over, claim not yet gone
        self.use(config)
        writer.fence = self.fence

    def use(self, config: Config) -> None:
        """(Re)load the units of a config: the fence and the reaper map ids to them."""
        self.config = config
        self.units = config_units(config)
        self.fence.service_unit = {s: k for k, u in self.units.items() for s in u.services}
        self.fence.probe_unit = {p: k for k, u in self.units.items() for p in u.probes}
        self.membership.config_digest = config_digest(config)

    def subjects_of(self, unit: str) -> tuple[frozenset[str], frozenset[str]]:
        u = self.units.get(unit)
        return (u.services, u.probes) if u is not None else (frozenset(), frozenset())

    async def join(self, session: int) -> None:
        self._session = session
        epoch = await asyncio.to_thread(self.membership.join, session, self.subjects_of)
        self.fence.epoch = epoch
        self._streak_since = time.monotonic()
        log.info("joined the cluster as %s (epoch %d, lease %gs)", self.name, epoch,
                 self.lease.total_seconds())

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop`: a round every third of a lease."""
        every = self.lease.total_seconds() / 3
        complained = -60.0
        while not stop.is_set():
            try:
                await self.round()
            except Exception as exc:  # the database away: the lease will tell the others
                self._streak_since = None
                if time.monotonic() - complained >= 60:
                    complained = time.monotonic()
                    log.warning("cluster round failed: %s", first_line(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)

    async def round(self) -> None:
        if not await asyncio.to_thread(self.membership.renew):
            await self._fenced()
            return
        if self._streak_since is None:
            self._streak_since = time.monotonic()
        # after the database was away every lease ran out: give the others one lease to
        # renew before declaring anyone dead
        if time.monotonic() - self._streak_since >= self.lease.total_seconds():
            for reaped in await asyncio.to_thread(self.membership.reap, self.subjects_of):
                log.warning("cluster member %s missed its lease: declared dead, %d unit(s) "
                            "freed, %d open outage(s) closed at its last heartbeat",
                            reaped.member, len(reaped.units), len(reaped.outages_closed))
        was = self.leadership.leading
        leading = await asyncio.to_thread(self.leadership.try_lead)
        if leading and not was and self.on_leading is not None:
            self.on_leading()
        now, rows = await asyncio.to_thread(members, self.membership.engine)
        live = sorted(m.member for m in rows if m.alive(now))
        if self.name not in live:
            live.append(self.name)
        mine = {k for k, m in assignment(self.units, live).items() if m == self.name}
        give = self.view.held - mine
        if give:
            await self.assign(self.view.held - give)  # closes their outages, unobserved
            self.writer.submit(ReleaseUnits(self.name, self.fence.epoch or 0,
                                            tuple(sorted(give))))
            self.view.held = self.view.held - give
            self._releasing |= give
            log.info("handing over %d unit(s) to other members", len(give))
        claimed = frozenset(await asyncio.to_thread(self.membership.claim,
                                                    mine - self.view.held))
        self._releasing &= claimed  # a release still on its way through the writer
        held = claimed - self._releasing
        if held != self.view.held:
            taken = len(held - self.view.held)
            await self.assign(held)
            self.view.held = held
            if taken:
                log.info("now evaluating %d unit(s) (%d taken on)", len(held), taken)
        self.view = ClusterView(now, rows, leading, self.view.held)

    async def _fenced(self) -> None:
        log.error("this member (%s, epoch %s) was declared dead by the cluster (paused or "
                  "cut off past its lease): dropping its state and joining again",
                  self.name, self.fence.epoch)
        self.view.held = self._releasing = frozenset()
        await self.assign(frozenset())
        self.leadership.resign()
        await self.writer.settle()  # what it queued meets the old epoch's fence
        assert self._session is not None
        await self.join(self._session)

    async def leave(self) -> None:
        """A clean stop: outages closed and units released through the writer, then the
        membership row, once the writer is done (see App)."""
        if self.view.held:
            await self.assign(frozenset())
            self.writer.submit(ReleaseUnits(self.name, self.fence.epoch or 0,
                                            tuple(sorted(self.view.held))))
            self.view.held = frozenset()

    def left(self) -> None:
        try:
            self.membership.leave()
        except Exception as exc:
            log.warning("could not mark this member as left: %s (the others declare it dead "
                        "after its lease)", first_line(exc))
        self.leadership.resign()

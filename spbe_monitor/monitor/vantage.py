"""A component probed from several locations (pure): each location keeps its own
hysteresis, and the component is down only when `quorum` of the locations observing it
say so (by default: all of them), so a broken uplink at one site is not an outage.

The daemon's own location (`home`) is trusted over the agents': an agent may add its vote
to an outage, never cancel or close one the home location sees. Where the home location
sees the component down and an agent's "up" keeps the quorum from being met, the verdict
is *disputed*: unknown (unmonitored time, shown in every figure), never up; and a component
already down stays down until the home location sees it pass.

Results from different locations arrive at different delays (an agent batches, or spools
while cut off), so they are merged in time order: judgement waits until every location
that is not silent has reported up to the next result's time. A location silent for `silence`
stops holding judgement back and stops voting (its time is unknown, never down); results
it sends later than what was judged are not used for judgement.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from spbe_monitor.monitor.state import ComponentState, Health, Transition
from spbe_monitor.probers.base import ProbeResult


@dataclass
class Vantage:
    probe_id: str
    states: dict[str, ComponentState]  # location → its own hysteresis
    quorum: int | None  # None: every observing location must agree
    silence: dict[str, timedelta]  # location → how long judgement waits for it
    home: str | None = None  # the daemon's own location, when it is one of them
    health: Health = Health.UNKNOWN
    since: datetime | None = None
    down_from: tuple[str, ...] = ()
    last: ProbeResult | None = None
    last_at: datetime | None = None
    judged: datetime | None = None  # results up to here are merged
    late: int = 0  # results that came after their time was judged
    heard: dict[str, datetime] = field(default_factory=dict)  # newest result per location
    queues: dict[str, deque[tuple[datetime, ProbeResult]]] = field(default_factory=dict)

    def observing(self, now: datetime) -> list[str]:
        return [loc for loc in self.states if loc in self.heard
                and now - self.heard[loc] <= self.silence[loc]]

    def offer(self, location: str, result: ProbeResult, at: datetime, now: datetime
              ) -> list[Transition]:
        """A result from `location`; the component's transitions it lets through."""
        if location not in self.states:
            return []
        if location in self.heard and at <= self.heard[location]:
            return []  # sent again (the agent never heard we took it): once is enough
        self.heard[location] = at  # reporting: judgement waits for it from now on
        if (self.judged is not None and at < self.judged) or not result.fresh:
            self.late += result.fresh  # a location joining, or back from silence
            return self.drain(now)
        self.queues.setdefault(location, deque()).append((at, result))
        return self.drain(now)

    def drain(self, now: datetime) -> list[Transition]:
        """Merge what every live location has reported; call every second as well, so a
        location falling silent lets the others' results through."""
        out: list[Transition] = []
        while True:
            live = self.observing(now)
            ready = [loc for loc in self.queues if self.queues[loc]]
            if not ready:
                break
            first = min(self.queues[x][0][0] for x in ready)
            # a live location might still send something older: wait for it
            if any(not self.queues.get(x) and self.heard[x] < first for x in live):
                break
            changes = []  # every location's result of that instant, judged together
            for x in ready:
                if self.queues[x][0][0] == first:
                    at, result = self.queues[x].popleft()
                    self.judged = at
                    self.last, self.last_at = result, at
                    change = self.states[x].observe(result, at)
                    if change is not None:
                        changes.append(change)
            if changes:
                combined = self._combine(live, changes[-1])
                if combined is not None:
                    out.append(combined)
        for loc in self.states:  # a silent location stops voting
            st = self.states[loc]
            if loc not in self.observing(now) and st.health is not Health.UNKNOWN:
                self.states[loc] = ComponentState(st.probe_id, st.failures_to_down,
                                                  st.successes_to_up)  # afresh when back
                quiet = self.heard.get(loc, now)  # unknown from its last report
                combined = self._combine(self.observing(now), Transition(
                    self.probe_id, Health.UNKNOWN, Health.UNKNOWN, quiet,
                    f"{loc} silent since {quiet.isoformat(timespec='seconds')}"))
                if combined is not None:
                    out.append(combined)
        return out

    def _combine(self, live: list[str], trigger: Transition) -> Transition | None:
        known = {loc: self.states[loc] for loc in live
                 if self.states[loc].health is not Health.UNKNOWN}
        if not known:
            new, since, why = Health.UNKNOWN, trigger.since, "no location observes it"
            down: list[str] = []
        else:
            # a quorum larger than the locations observing now cannot be met: their
            # down is no verdict then (unknown unless one of them sees it pass)
            need = self.quorum or len(known)
            down = sorted(loc for loc, s in known.items() if s.health is Health.DOWN)
            if len(down) == len(known) and len(down) < need:
                new, since, why = Health.UNKNOWN, trigger.since, (
                    f"down from {', '.join(down)} only; quorum {need}")
            elif len(down) >= need:
                new = Health.DOWN
                # down from the moment the quorum was met: the need-th location's start
                since = sorted(known[loc].since or trigger.since for loc in down)[need - 1]
                why = f"down from {', '.join(down)}: {trigger.message}"
            elif self.home in down:  # disputed: never up, and an outage stays open
                up = ", ".join(sorted(set(known) - set(down)))
                new, since = (Health.DOWN, self.since or trigger.since) \
                    if self.health is Health.DOWN else (Health.UNKNOWN, trigger.since)
                why = (f"disputed: down from {', '.join(down)}, up from {up} only (quorum "
                       f"{need}); a location elsewhere cannot cancel what {self.home} sees")
            else:
                degraded = any(s.health is Health.DEGRADED for s in known.values())
                new = Health.DEGRADED if degraded else Health.UP
                since = trigger.since
                why = trigger.message + (f" (down only from {', '.join(down)}; quorum "
                                         f"{need})" if down else "")
        if new is self.health:
            self.down_from = tuple(down) if new is Health.DOWN else ()
            return None
        if self.since is not None and since < self.since:
            since = self.since
        old, self.health, self.since = self.health, new, since
        self.down_from = tuple(down) if new is Health.DOWN else ()
        return Transition(self.probe_id, old, new, since, why)

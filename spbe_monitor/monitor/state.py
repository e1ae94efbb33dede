"""Pure state machines: per-component hysteresis and service status by its `require` rule.

Times are the check's own start time, so an outage is dated from the first failed check of
the streak that confirmed it, and ends at the first passing check of the recovery streak.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from spbe_monitor.probers.base import ErrorKind, ProbeResult


class Health(StrEnum):
    UNKNOWN = "unknown"
    UP = "up"
    DEGRADED = "degraded"  # passing, but a threshold is crossed or a component is down
    DOWN = "down"

    @property
    def passing(self) -> bool:
        return self in (Health.UP, Health.DEGRADED)


class Judged(Protocol):
    """What a service's rule reads of a component (one location's, or several's)."""

    @property
    def probe_id(self) -> str: ...

    @property
    def health(self) -> Health: ...

    @property
    def since(self) -> datetime | None: ...


@dataclass(frozen=True)
class Transition:
    subject: str  # probe or service id
    old: Health
    new: Health
    since: datetime
    message: str


@dataclass
class ComponentState:
    probe_id: str
    failures_to_down: int
    successes_to_up: int
    health: Health = Health.UNKNOWN
    since: datetime | None = None
    fail_streak: int = 0
    fail_start: datetime | None = None
    pass_streak: int = 0
    pass_start: datetime | None = None
    last: ProbeResult | None = None
    last_at: datetime | None = None

    def observe(self, result: ProbeResult, at: datetime) -> Transition | None:
        if not result.fresh:  # nothing newer than what was already observed
            self.last = result
            return None
        self.last, self.last_at = result, at
        if result.error_kind is ErrorKind.LOCAL:  # the monitor was blind, not the target
            self.fail_streak, self.fail_start = 0, None
            self.pass_streak, self.pass_start = 0, None
            if self.health is Health.UNKNOWN:
                return None
            return self._move(Health.UNKNOWN, at, result.message)
        if result.ok:
            self.fail_streak, self.fail_start = 0, None
            if self.pass_streak == 0:
                self.pass_start = at
            self.pass_streak += 1
            target = Health.DEGRADED if result.degraded else Health.UP
            if self.health is Health.DOWN:
                if self.pass_streak < self.successes_to_up:
                    return None
                assert self.pass_start is not None
                return self._move(target, self.pass_start, result.degraded or result.message)
            if self.health is not target:
                return self._move(target, at, result.degraded or result.message)
            return None
        self.pass_streak, self.pass_start = 0, None
        if self.fail_streak == 0:
            self.fail_start = at
        self.fail_streak += 1
        if self.health is not Health.DOWN and self.fail_streak >= self.failures_to_down:
            assert self.fail_start is not None
            return self._move(Health.DOWN, self.fail_start, result.message)
        return None

    def _move(self, new: Health, since: datetime, message: str) -> Transition:
        old, self.health, self.since = self.health, new, since
        return Transition(self.probe_id, old, new, since, message)


def needed(require: str | int, count: int) -> int:
    """How many components must pass for the service to pass."""
    if require == "all":
        return count
    if require == "any":
        return min(1, count)
    assert isinstance(require, int)
    return require


@dataclass
class ServiceState:
    service_id: str
    require: str | int
    components: list[str]
    health: Health = Health.UNKNOWN
    since: datetime | None = None
    reasons: list[str] = field(default_factory=list)

    def evaluate(self, states: Mapping[str, Judged], trigger: Transition
                 ) -> Transition | None:
        """Re-derive the service's health after a component transition."""
        comps: Sequence[Judged] = [states[c] for c in self.components]
        need = needed(self.require, len(comps))
        passing = [c for c in comps if c.health.passing]
        down = [c for c in comps if c.health is Health.DOWN]
        if not comps:
            return None
        if len(passing) >= need:
            troubled = [c for c in comps if c.health in (Health.DOWN, Health.DEGRADED)]
            new = Health.DEGRADED if troubled else Health.UP
            since = trigger.since
            self.reasons = [f"{c.probe_id} {c.health}" for c in troubled]
        elif len(comps) - len(down) >= need:
            # not enough known to call it down: unknown (at start, or its components'
            # locations fell silent), never down
            new, since = Health.UNKNOWN, trigger.since
            self.reasons = [f"{c.probe_id} {c.health}" for c in comps
                            if c.health is not Health.UP]
        else:
            new = Health.DOWN
            # down once (count - need + 1) components are down: that one's first failure
            since = sorted(c.since for c in down if c.since)[len(comps) - need]
            self.reasons = [f"{c.probe_id} down" for c in down]
        if new is self.health:
            return None
        if self.since is not None and since < self.since:
            since = self.since
        old, self.health, self.since = self.health, new, since
        return Transition(self.service_id, old, new, since, "; ".join(self.reasons))

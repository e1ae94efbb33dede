"""Step kinds: one module each, one interface `async execute(cfg, ctx) -> StepOutcome`;
`manual` and `approval` are completed by a person and have no execute."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from spbe_monitor.drp.steps import command, http, notify, person, recovery_point, ssh, wait_healthy
from spbe_monitor.drp.steps.base import StepContext, StepOutcome, StepSettings

Execute = Callable[[Any, StepContext], Awaitable[StepOutcome]]

KINDS: dict[str, tuple[type[StepSettings], Execute | None]] = {
    "manual": (person.Manual, None),
    "approval": (person.Approval, None),
    "command": (command.Config, command.execute),
    "ssh": (ssh.Config, ssh.execute),
    "http": (http.Config, http.execute),
    "wait_healthy": (wait_healthy.Config, wait_healthy.execute),
    "recovery_point": (recovery_point.Config, recovery_point.execute),
    "notify": (notify.Config, notify.execute),
}

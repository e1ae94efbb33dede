"""What every playbook step has, and what executing one returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from spbe_monitor.clock import Clock
from spbe_monitor.config.fields import Duration
from spbe_monitor.config.loader import Config
from spbe_monitor.probers.context import ProbeContext

Ident = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=64)]


class Mode(StrEnum):
    BOTH = "both"
    DRILL_ONLY = "drill_only"
    DISASTER_ONLY = "disaster_only"


class StepSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Ident
    title: Annotated[str, Field(min_length=1)]
    kind: str
    needs: tuple[Ident, ...] = ()
    timeout: Duration = timedelta(minutes=10)
    retries: int = Field(default=0, ge=0, le=10)
    expected: Duration | None = None
    # stop: its branch waits for the Koordinator's decision (retry, skip or abort);
    # continue: what needs it carries on; abort: the run ends as failed
    on_failure: Literal["stop", "continue", "abort"] = "stop"
    mode: Mode = Mode.BOTH


@dataclass(frozen=True)
class StepOutcome:
    ok: bool
    message: str
    output: dict[str, Any] = field(default_factory=dict)


@dataclass
class StepContext:
    """What an executing step may use: the config (probes for wait_healthy), the clock,
    shared probe resources (ssh pool), and the run's facts (id, mode, disaster time; JSON-safe:
    notifications send them)."""

    config: Config
    clock: Clock
    probes: ProbeContext
    run: dict[str, Any]
    # the output so far (last 4 kB), handed over as it comes; the runner persists it so a
    # crash mid-step leaves what the step had printed
    tail: Callable[[str], None] = lambda _text: None

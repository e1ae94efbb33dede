"""`ssh`: run a command on a host over SSH (paramiko, host key verified against
known_hosts, never learnt). Success is exit status 0."""

from __future__ import annotations

from typing import Literal

from spbe_monitor.drp.steps.base import StepContext, StepOutcome, StepSettings
from spbe_monitor.probers.base import ProbeResult
from spbe_monitor.probers.ssh import SshTarget, run_remote


class Config(StepSettings):
    kind: Literal["ssh"] = "ssh"
    target: SshTarget
    run: str


async def execute(cfg: Config, ctx: StepContext) -> StepOutcome:
    marker = "@@spbe-exit:"
    out = await run_remote(cfg.target, ctx.probes, f"{cfg.run}; echo {marker}$?",
                           cfg.timeout.total_seconds())
    if isinstance(out, ProbeResult):
        return StepOutcome(False, out.message)
    body, _, status = out.rpartition(marker)
    tail = "\n".join(body.strip().splitlines()[-20:])
    if status.strip() != "0":
        return StepOutcome(False, f"exit status {status.strip() or '?'}", {"output": tail})
    return StepOutcome(True, "exit status 0", {"output": tail})

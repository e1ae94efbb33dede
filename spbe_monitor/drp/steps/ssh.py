"""`ssh`: run a command on a host over SSH (paramiko, host key verified against
known_hosts, never learnt). Success is exit status 0."""

from __future__ import annotations

from typing import Literal

from spbe_monitor.drp.steps.base import StepContext, StepOutcome, StepSettings
from spbe_monitor.drp.steps.command import TAIL_BYTES, TAIL_EVERY
from spbe_monitor.probers.base import ProbeResult
from spbe_monitor.probers.ssh import SshTarget, run_remote


class Config(StepSettings):
    kind: Literal["ssh"] = "ssh"
    target: SshTarget
    run: str


class _Tail:
    """The last 4 kB of the remote output, handed to the runner at most every few seconds
    as it arrives (from the SSH reader thread)."""

    def __init__(self, ctx: StepContext) -> None:
        self.ctx, self.kept, self.told = ctx, b"", float("-inf")

    def __call__(self, piece: bytes) -> None:
        self.kept = (self.kept + piece)[-TAIL_BYTES:]
        if self.ctx.clock.monotonic() - self.told >= TAIL_EVERY:
            self.ctx.tail(self.kept.decode("utf-8", errors="replace"))
            self.told = self.ctx.clock.monotonic()


async def execute(cfg: Config, ctx: StepContext) -> StepOutcome:
    marker = "@@spbe-exit:"
    out = await run_remote(cfg.target, ctx.probes, f"{cfg.run}; echo {marker}$?",
                           cfg.timeout.total_seconds(), _Tail(ctx))
    if isinstance(out, ProbeResult):
        return StepOutcome(False, out.message)
    body, _, status = out.rpartition(marker)
    ctx.tail(body[-TAIL_BYTES:])
    tail = "\n".join(body.strip().splitlines()[-20:])
    if status.strip() != "0":
        return StepOutcome(False, f"exit status {status.strip() or '?'}", {"output": tail})
    return StepOutcome(True, "exit status 0", {"output": tail})

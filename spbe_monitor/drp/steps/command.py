"""`command`: run a local command (argv, no shell unless asked) under the step timeout.
Success is exit status 0; the last lines of output are kept for the report."""

from __future__ import annotations

import asyncio
import shlex
from typing import Literal

from spbe_monitor.drp.steps.base import StepContext, StepOutcome, StepSettings


class Config(StepSettings):
    kind: Literal["command"] = "command"
    run: str | list[str]
    shell: bool = False  # run through /bin/sh -c (for pipelines, `&`, redirections)


def argv(cfg: Config) -> list[str]:
    if cfg.shell:
        return ["/bin/sh", "-c", cfg.run if isinstance(cfg.run, str) else shlex.join(cfg.run)]
    return shlex.split(cfg.run) if isinstance(cfg.run, str) else list(cfg.run)


async def execute(cfg: Config, ctx: StepContext) -> StepOutcome:
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv(cfg), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            stdin=asyncio.subprocess.DEVNULL)
    except OSError as exc:
        return StepOutcome(False, f"cannot start {argv(cfg)[0]}: {exc.strerror}")
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), cfg.timeout.total_seconds())
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return StepOutcome(False, f"no result within {cfg.timeout.total_seconds():g} s")
    text = out.decode("utf-8", errors="replace").strip()
    tail = "\n".join(text.splitlines()[-20:])
    if proc.returncode != 0:
        return StepOutcome(False, f"exit status {proc.returncode}", {"output": tail})
    return StepOutcome(True, "exit status 0", {"output": tail})

"""`command`: run a local command (argv, no shell unless asked) under the step timeout, never
as root (see `account`).
Success is exit status 0; the last lines of output are kept for the report."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
from typing import Literal

from spbe_monitor.drp.steps import account
from spbe_monitor.drp.steps.base import StepContext, StepOutcome, StepSettings


class Config(StepSettings):
    kind: Literal["command"] = "command"
    run: str | list[str]
    shell: bool = False  # run through /bin/sh -c (for pipelines, `&`, redirections)


def argv(cfg: Config) -> list[str]:
    if cfg.shell:
        return ["/bin/sh", "-c", cfg.run if isinstance(cfg.run, str) else shlex.join(cfg.run)]
    return shlex.split(cfg.run) if isinstance(cfg.run, str) else list(cfg.run)


TAIL_BYTES = 4096
TAIL_EVERY = 2.0  # seconds between hand-overs of the output so far


async def _collect(stream: asyncio.StreamReader, ctx: StepContext) -> str:
    """The last 4 kB of output, handed to `ctx.tail` as it comes: at once, then at most
    every few seconds, and whatever is left unsaid after a quiet spell."""
    kept, unsaid, told = b"", False, float("-inf")
    while True:
        try:
            chunk: bytes | None = await asyncio.wait_for(stream.read(TAIL_BYTES), TAIL_EVERY)
        except TimeoutError:
            chunk = None
        if chunk == b"":
            break
        if chunk:
            kept, unsaid = (kept + chunk)[-TAIL_BYTES:], True
        if unsaid and (chunk is None or ctx.clock.monotonic() - told >= TAIL_EVERY):
            ctx.tail(kept.decode("utf-8", errors="replace"))
            unsaid, told = False, ctx.clock.monotonic()
    text = kept.decode("utf-8", errors="replace")
    ctx.tail(text)
    return text


async def _stop(proc: asyncio.subprocess.Process) -> None:
    """The command and everything it started (a pipeline, `&` children) killed."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    await proc.wait()


async def execute(cfg: Config, ctx: StepContext) -> StepOutcome:
    try:
        runs_as = account.for_commands(ctx.config.settings.service_user)
    except account.NoServiceUser as exc:
        return StepOutcome(False, str(exc))
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv(cfg), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            stdin=asyncio.subprocess.DEVNULL,
            # as the service user, with none of root's groups (None: ourselves, unprivileged)
            user=runs_as.uid if runs_as else None, group=runs_as.gid if runs_as else None,
            extra_groups=[] if runs_as else None, env=runs_as.env() if runs_as else None,
            cwd=runs_as.cwd() if runs_as else None,
            start_new_session=True)  # its own process group: a stop reaches its children
    except OSError as exc:
        return StepOutcome(False, f"cannot start {argv(cfg)[0]}: {exc.strerror}")
    assert proc.stdout is not None
    try:
        out = await asyncio.wait_for(_collect(proc.stdout, ctx), cfg.timeout.total_seconds())
        await proc.wait()
    except TimeoutError:
        await _stop(proc)
        return StepOutcome(False, f"no result within {cfg.timeout.total_seconds():g} s")
    except asyncio.CancelledError:  # the run was aborted: the command stops with it
        await _stop(proc)
        raise
    tail = "\n".join(out.strip().splitlines()[-20:])
    if proc.returncode != 0:
        return StepOutcome(False, f"exit status {proc.returncode}", {"output": tail})
    return StepOutcome(True, "exit status 0", {"output": tail})

"""A playbook's local commands never run as root: a root daemon or runner hands them to the
service user (with none of root's groups), and refuses when it has nobody to hand them to."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import pwd
from pathlib import Path

import pytest

from spbe_monitor.clock import SystemClock
from spbe_monitor.config.loader import load_config
from spbe_monitor.drp.steps import command
from spbe_monitor.drp.steps.base import StepContext, StepOutcome
from spbe_monitor.probers.context import ProbeContext
from tests.service_user import NAME

EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "spbe.yaml"
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="what root does (CI runs as root)")


def execute(run: list[str], service_user: str = NAME) -> StepOutcome:
    cfg = load_config(EXAMPLE)
    cfg = dataclasses.replace(
        cfg, settings=cfg.settings.model_copy(update={"service_user": service_user}))
    ctx = StepContext(cfg, SystemClock(), ProbeContext(), {})
    step = command.Config(id="who", title="Siapa menjalankan", run=run)
    return asyncio.run(command.execute(step, ctx))


def test_a_command_step_runs_as_the_service_user_never_as_root() -> None:
    expected = NAME if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    out = execute(["sh", "-c", "id -un; id -G; echo $HOME $USER"])
    assert out.ok, out.message
    name, groups, env = out.output["output"].splitlines()
    assert name == expected
    if os.geteuid() == 0:
        entry = pwd.getpwnam(NAME)
        assert groups.split() == [str(entry.pw_gid)]  # none of root's groups
        assert env == f"{entry.pw_dir} {NAME}"


@as_root
def test_root_with_nobody_to_hand_commands_to_refuses_them() -> None:
    out = execute(["touch", "/etc/spbe-should-not-exist"], service_user="no-such-spbe-user")
    assert not out.ok
    assert "never run as root" in out.message and "no-such-spbe-user" in out.message
    assert not Path("/etc/spbe-should-not-exist").exists()


@as_root
def test_root_named_as_the_service_user_is_refused() -> None:
    out = execute(["id", "-u"], service_user="root")
    assert not out.ok and "never run as root" in out.message

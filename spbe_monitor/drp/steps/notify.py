"""`notify`: a webhook POST (JSON) with the run's progress; the runner also sends one at
every phase change to each webhook the playbook lists."""

from __future__ import annotations

import json
from typing import Literal

from spbe_monitor.drp.steps.base import StepContext, StepOutcome, StepSettings
from spbe_monitor.monitor.runner import run_once
from spbe_monitor.probers import http as http_probe


class Config(StepSettings):
    kind: Literal["notify"] = "notify"
    webhook: str
    message: str


async def post(url: str, payload: dict[str, object], ctx: StepContext) -> StepOutcome:
    probe = http_probe.Config(id="notify", url=url, method="POST",
                              headers={"Content-Type": "application/json"},
                              body=json.dumps(payload, ensure_ascii=False),
                              expected_status=[200, 201, 202, 204])
    result = await run_once(probe, ctx.probes)
    return StepOutcome(result.ok, result.message)


async def execute(cfg: Config, ctx: StepContext) -> StepOutcome:
    return await post(cfg.webhook, {"run": ctx.run, "message": cfg.message}, ctx)

"""`http`: one request (TLS verified) expecting a status, e.g. to flip a load balancer."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from spbe_monitor.drp.steps.base import StepContext, StepOutcome, StepSettings
from spbe_monitor.monitor.runner import run_once
from spbe_monitor.probers import http as http_probe


class Config(StepSettings):
    kind: Literal["http"] = "http"
    url: str
    method: Literal["GET", "POST", "PUT"] = "POST"
    body: str | None = None
    expected_status: list[int] = Field(default_factory=lambda: [200, 201, 202, 204])
    ca_file: str | None = None


async def execute(cfg: Config, ctx: StepContext) -> StepOutcome:
    probe = http_probe.Config(id=cfg.id, url=cfg.url, method=cfg.method, body=cfg.body,
                              expected_status=cfg.expected_status, ca_file=cfg.ca_file,
                              timeout=cfg.timeout, interval=2 * cfg.timeout)  # one shot
    result = await run_once(probe, ctx.probes)
    return StepOutcome(result.ok, result.message, {"status": result.values.get("status_code")})

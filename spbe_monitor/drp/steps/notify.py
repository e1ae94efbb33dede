"""`notify`: a webhook POST (JSON) and/or an e-mail (SMTP from reports.email) with a
message; the runner also tells every webhook and address the playbook lists at each phase
change."""

from __future__ import annotations

import asyncio
import json
import smtplib
from typing import Literal

from pydantic import model_validator

from spbe_monitor.drp.steps.base import StepContext, StepOutcome, StepSettings
from spbe_monitor.mail import send_mail
from spbe_monitor.monitor.runner import run_once
from spbe_monitor.probers import http as http_probe


class Config(StepSettings):
    kind: Literal["notify"] = "notify"
    webhook: str | None = None
    email: tuple[str, ...] = ()
    message: str

    @model_validator(mode="after")
    def _somewhere(self) -> Config:
        if self.webhook is None and not self.email:
            raise ValueError("notify needs a webhook, an email list, or both")
        return self


async def mail(to: tuple[str, ...], subject: str, body: str, ctx: StepContext) -> StepOutcome:
    settings = ctx.config.settings.reports.email
    if settings is None:
        return StepOutcome(False, "no SMTP server configured (reports.email in spbe.yaml)")
    try:
        await asyncio.to_thread(send_mail, settings, list(to), subject, body)
    except (OSError, smtplib.SMTPException) as exc:
        return StepOutcome(False, f"e-mail not sent: {exc}")
    return StepOutcome(True, f"e-mail sent to {len(to)}")


async def post(url: str, payload: dict[str, object], ctx: StepContext) -> StepOutcome:
    probe = http_probe.Config(id="notify", url=url, method="POST",
                              headers={"Content-Type": "application/json"},
                              body=json.dumps(payload, ensure_ascii=False),
                              expected_status=[200, 201, 202, 204])
    result = await run_once(probe, ctx.probes)
    return StepOutcome(result.ok, result.message)


async def execute(cfg: Config, ctx: StepContext) -> StepOutcome:
    outcomes = []
    if cfg.webhook:
        outcomes.append(await post(cfg.webhook, {"run": ctx.run, "message": cfg.message}, ctx))
    if cfg.email:
        outcomes.append(await mail(cfg.email, f"DRP {ctx.run.get('playbook')}: {cfg.title}",
                                   cfg.message, ctx))
    failed = [o.message for o in outcomes if not o.ok]
    if failed:
        return StepOutcome(False, "; ".join(failed))
    return StepOutcome(True, "; ".join(o.message for o in outcomes))

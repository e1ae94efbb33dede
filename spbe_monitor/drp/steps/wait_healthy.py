"""`wait_healthy`: poll the probes of the named services that carry the target site's label
until every one passes; the moment they do is when each service counts as recovered."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Literal

from spbe_monitor.config.fields import Duration
from spbe_monitor.config.loader import Config as SpbeConfig
from spbe_monitor.drp.steps.base import Ident, StepContext, StepOutcome, StepSettings
from spbe_monitor.monitor.runner import run_once


class Config(StepSettings):
    kind: Literal["wait_healthy"] = "wait_healthy"
    services: tuple[Ident, ...]
    site: str = "secondary"  # the `site` label of the probes to wait for
    poll: Duration = timedelta(seconds=2)


def site_probes(config: SpbeConfig, service_id: str, site: str) -> list[str]:
    """The probes this step polls for a service: its components and standby probes labelled
    with the site."""
    svc = config.services.get(service_id)
    return [] if svc is None else [
        pid for pid in (*svc.components, *svc.standby)
        if pid in config.probes and config.probes[pid].labels.get("site") == site]


async def execute(cfg: Config, ctx: StepContext) -> StepOutcome:
    probes = [ctx.config.probes[pid] for sid in cfg.services
              for pid in site_probes(ctx.config, sid, cfg.site)]
    if not probes:
        return StepOutcome(False, f"no probe labelled site: {cfg.site} among the components "
                           f"of {', '.join(cfg.services)}")
    deadline = ctx.clock.monotonic() + cfg.timeout.total_seconds()
    while True:
        results = await asyncio.gather(*(run_once(p, ctx.probes) for p in probes))
        failing = [f"{p.id}: {r.message}" for p, r in zip(probes, results, strict=True)
                   if not r.ok]
        if not failing:
            healthy = ctx.clock.now().isoformat()
            return StepOutcome(True, f"{len(probes)} probe(s) at site {cfg.site} pass",
                               {"healthy_at": healthy, "services": list(cfg.services),
                                "site": cfg.site})
        if ctx.clock.monotonic() >= deadline:
            return StepOutcome(False, "still failing: " + "; ".join(failing))
        await ctx.clock.sleep(cfg.poll.total_seconds())

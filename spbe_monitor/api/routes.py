"""The /api/v1 routes: reads are open; acts (api/acts.py) need a bearer token tied to a
person, and are decided by the one room (`authority`) the CLI uses too."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from spbe_monitor.api.acts import add_acts
from spbe_monitor.api.common import Host, row_id
from spbe_monitor.api.openapi import document
from spbe_monitor.drp.operations import Drp
from spbe_monitor.drp.status import run_summary
from spbe_monitor.errors import BadInput
from spbe_monitor.ledger.store import as_dict
from spbe_monitor.monthly import figures_for_month, parse_month


def add_api(router: web.UrlDispatcher, host: Host) -> None:
    def run(fn: Callable[..., Any], *args: Any) -> Awaitable[Any]:
        return asyncio.to_thread(fn, *args)

    def drp() -> Drp:
        return Drp(host.config, host.store, host.clock)

    async def services(_: web.Request) -> web.Response:
        out = []
        for sid, svc in host.config.services.items():
            st = host.monitor.services.get(sid)
            out.append({"id": sid, "name": svc.name, "provider": svc.provider,
                        "classification": svc.klass.value,
                        "availability_target": svc.availability_target,
                        "timezone": svc.zone, "components": list(svc.components),
                        "health": st.health.value if st else "unmonitored"})
        return web.json_response(out)

    async def availability(request: web.Request) -> web.Response:
        month = request.query.get("month")
        if month is None:
            raise BadInput("the query parameter month (YYYY-MM) is required")
        year, mon = parse_month(month)
        sid = request.query.get("service")
        ids = [host.config.service(sid).id] if sid else list(host.config.services)
        figures = await run(figures_for_month, host.config, host.store, year, mon, ids,
                            host.clock.now())
        return web.json_response([f.as_json() for f in figures])

    async def outages(request: web.Request) -> web.Response:
        sid = request.query.get("service")
        ids = [host.config.service(sid).id] if sid else None
        rows = await run(host.store.outages, ids)
        return web.json_response([as_dict(o) for o in rows])

    async def maintenance(_: web.Request) -> web.Response:
        rows = await run(host.store.maintenance)
        return web.json_response([{**as_dict(w), "registered_late": w.registered_late}
                                  for w in rows])

    async def drp_runs(_: web.Request) -> web.Response:
        runs = await run(drp().journal.runs)
        return web.json_response([run_summary(r) for r in runs])

    async def drp_run(request: web.Request) -> web.Response:
        status = await run(drp().status, row_id(request.match_info["run"], "run"))
        return web.json_response(status.as_json())

    async def openapi(_: web.Request) -> web.Response:
        return web.json_response(document())

    router.add_get("/api/v1/services", services)
    router.add_get("/api/v1/availability", availability)
    router.add_get("/api/v1/outages", outages)
    router.add_get("/api/v1/maintenance", maintenance)
    router.add_get("/api/v1/drp/runs", drp_runs)
    router.add_get("/api/v1/drp/runs/{run}", drp_run)
    router.add_get("/api/v1/openapi.json", openapi)
    add_acts(router, host)

"""The /api/v1 routes: reads need a bearer token tied to a person (they carry NIPs, causes,
notes and command output: personal data under UU PDP), acts (api/acts.py) need one too and
are decided by the one room (`authority`) the CLI uses. Open without one: /-/healthy,
/-/ready, /metrics, /api/v1/status (the daemon's own view of health, as /metrics, no
personal data), /api/v1/openapi.json and the opt-in public /status page."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from spbe_monitor import readings
from spbe_monitor.api.acts import add_acts
from spbe_monitor.api.agents import add_agent_routes
from spbe_monitor.api.common import Host, reader, row_id
from spbe_monitor.api.openapi import document


def add_api(router: web.UrlDispatcher, host: Host) -> None:
    def run(fn: Callable[..., Any], *args: Any) -> Awaitable[Any]:
        return asyncio.to_thread(fn, *args)

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
        q = request.query
        return web.json_response(await run(readings.availability, host.config, host.store,
                                           host.clock, q.get("month"), q.get("service")))

    async def outages(request: web.Request) -> web.Response:
        q = request.query
        return web.json_response(await run(readings.outages, host.config, host.store,
                                           q.get("service"), q.get("month"),
                                           q.get("open") in ("1", "true")))

    async def maintenance(_: web.Request) -> web.Response:
        return web.json_response(await run(readings.maintenance, host.config, host.store))

    async def drp_runs(_: web.Request) -> web.Response:
        return web.json_response(await run(readings.drp_runs, host.config, host.store,
                                           host.clock))

    async def drp_run(request: web.Request) -> web.Response:
        run_id = row_id(request.match_info["run"], "run")
        return web.json_response(await run(readings.drp_run, host.config, host.store,
                                           host.clock, run_id))

    async def openapi(_: web.Request) -> web.Response:
        return web.json_response(document())

    def private(handler: Callable[[web.Request], Awaitable[web.Response]]
                ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def read(request: web.Request) -> web.Response:
            await run(reader, host, request)
            return await handler(request)
        return read

    router.add_get("/api/v1/services", private(services))
    router.add_get("/api/v1/availability", private(availability))
    router.add_get("/api/v1/outages", private(outages))
    router.add_get("/api/v1/maintenance", private(maintenance))
    router.add_get("/api/v1/drp/runs", private(drp_runs))
    router.add_get("/api/v1/drp/runs/{run}", private(drp_run))
    router.add_get("/api/v1/openapi.json", openapi)
    add_acts(router, host)
    add_agent_routes(router, host)

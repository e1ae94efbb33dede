"""The routes agents use: their probes, and their results. An agent authenticates with its
own token (spbe.yaml `locations.<name>.token_sha256`), never a person's. The answer to a
push carries the audit witness lines the agent does not have yet: each location keeps a
copy of the checkpoints off the central machine (ledger/witness.py)."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta
from typing import Any

from aiohttp import web

from spbe_monitor.agent.protocol import MAX_RESULTS, Observed, location_of, probe_to_json
from spbe_monitor.api.common import Host
from spbe_monitor.errors import BadInput
from spbe_monitor.ledger import witness

log = logging.getLogger("spbe.agents")
WITNESS_BATCH = 60  # checkpoint lines per answer: an hour of a busy ledger
FUTURE = timedelta(minutes=5)  # clocks disagree a little; an agent's days ahead are refused


def _location(host: Host, request: web.Request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    hashes = {name: loc.token_sha256 for name, loc in host.config.settings.locations.items()}
    found = location_of(token.strip(), hashes) if scheme.lower() == "bearer" else None
    if found is None:
        log.warning("agent refused from %s: no or unknown agent token", request.remote)
        raise web.HTTPUnauthorized(
            text=json.dumps({"error": "an agent's token is required (spbe agent token)"}),
            content_type="application/json")
    return found


def _witness_after(host: Host, witnessed: int) -> list[str]:
    with host.store.engine.connect() as conn:
        ledger = witness.identity(conn)
    return witness.lines_after(witness.path_for(host.config.audit_key_path), ledger,
                               witnessed, WITNESS_BATCH)


def add_agent_routes(router: web.UrlDispatcher, host: Host) -> None:
    async def probes(request: web.Request) -> web.Response:
        location = _location(host, request)
        mine = [probe_to_json(p) for p in host.config.probes.values()
                if location in p.locations]
        return web.json_response({"location": location, "probes": mine})

    async def results(request: web.Request) -> web.Response:
        location = _location(host, request)
        try:
            data: Any = await request.json()
        except ValueError:
            raise BadInput("the body must be JSON: {\"results\": [...]}") from None
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise BadInput("the body must be {\"results\": [...]}")
        witnessed = data.get("witnessed")
        if witnessed is not None and (isinstance(witnessed, bool) or not isinstance(
                witnessed, int) or witnessed < 0):
            raise BadInput("witnessed must be the last checkpoint number the agent keeps")
        if len(data["results"]) > MAX_RESULTS:
            raise BadInput(f"at most {MAX_RESULTS} results per push")
        observed = [Observed.from_json(item) for item in data["results"]]
        ahead = host.clock.now() + FUTURE
        late = next((o for o in observed if o.at > ahead), None)
        if late is not None:  # it would hold this location's judgement back for that long
            raise BadInput(f"a result of {late.probe} observed at {late.at.isoformat()}, in "
                           "the future: is the agent's clock right?")
        unknown = sorted({o.probe for o in observed
                          if o.probe not in host.config.probes
                          or location not in host.config.probes[o.probe].locations})
        # in a cluster, a probe another member judges (results are not forwarded)
        elsewhere = sorted({o.probe for o in observed if o.probe not in unknown
                            and o.probe not in host.monitor.components})
        accepted = 0
        for o in observed:
            if o.probe not in unknown and o.probe not in elsewhere:
                host.monitor.on_result(host.config.probes[o.probe], o.result, o.at, location)
                accepted += 1
        answer: dict[str, Any] = {"accepted": accepted, "unknown": unknown,
                                  "elsewhere": elsewhere}
        if witnessed is not None:  # the agent keeps a copy of the witness off this machine
            answer["witness"] = await asyncio.to_thread(_witness_after, host, witnessed)
        return web.json_response(answer)

    router.add_get("/api/v1/agent/probes", probes)
    router.add_post("/api/v1/agent/results", results)

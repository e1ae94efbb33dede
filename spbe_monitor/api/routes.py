"""The /api/v1 handlers. Reads are open; writes need a bearer token tied to a person, and
the act must be allowed for that person's role, eselon and services. Bad input is 400 with
the reason, a missing or unknown token 401, a refusal 403, an unknown window 404."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from spbe_monitor.api.openapi import document
from spbe_monitor.api.tokens import digest
from spbe_monitor.clock import Clock
from spbe_monitor.config.loader import Config
from spbe_monitor.config.models import Person
from spbe_monitor.drp.operations import Drp
from spbe_monitor.errors import BadInput, NotFound, Refused
from spbe_monitor.ledger.durable import first_line
from spbe_monitor.ledger.store import Store, as_dict
from spbe_monitor.manual import Desk
from spbe_monitor.monitor.engine import Monitor
from spbe_monitor.monthly import figures_for_month, parse_month
from spbe_monitor.regulation.disaster import Category

log = logging.getLogger("spbe.api")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
NEW_WINDOW_KEYS = {"services", "start", "end", "rrule", "reason"}


class Host(Protocol):
    """What the API reads from the daemon (the App)."""

    config: Config
    store: Store
    clock: Clock
    monitor: Monitor


def _error(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Map the exception tree onto HTTP: the reason always reaches the caller."""
    try:
        return await handler(request)
    except NotFound as exc:
        return _error(404, str(exc))
    except BadInput as exc:
        return _error(400, str(exc))
    except Refused as exc:
        return _error(403, str(exc))
    except web.HTTPException as exc:
        if exc.content_type == "application/json" or exc.status < 400:
            raise
        return _error(exc.status, exc.reason)
    except SQLAlchemyError as exc:
        log.warning("%s %s: the ledger is unavailable: %s", request.method, request.path,
                    first_line(exc))
        return _error(503, f"the ledger is unavailable: {first_line(exc)}")


MAX_ID = 2_147_483_647  # ledger ids are positive 32-bit integers


def row_id(text: str, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise BadInput(f"the {what} id must be a whole number") from None
    if not 1 <= value <= MAX_ID:
        raise BadInput(f"the {what} id must be between 1 and {MAX_ID}")
    return value


def add_api(router: web.UrlDispatcher, host: Host) -> None:
    def run(fn: Callable[..., Any], *args: Any) -> Awaitable[Any]:
        return asyncio.to_thread(fn, *args)

    async def person(request: web.Request) -> Person:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise web.HTTPUnauthorized(
                text=json.dumps({"error": "a bearer token is required for this act"}),
                content_type="application/json", headers={"WWW-Authenticate": "Bearer"})
        nip = await run(host.store.token_owner, digest(token.strip()), host.clock.now())
        if nip is None or nip not in host.config.people:
            raise web.HTTPUnauthorized(
                text=json.dumps({"error": "unknown, expired or revoked token"}),
                content_type="application/json", headers={"WWW-Authenticate": "Bearer"})
        return host.config.people[nip]

    async def body_object(request: web.Request) -> dict[str, Any]:
        try:
            data = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise BadInput("the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise BadInput("the body must be a JSON object")
        return data

    def desk() -> Desk:
        return Desk(host.config, host.store, host.clock)

    def window_id(request: web.Request) -> int:
        return row_id(request.match_info["id"], "window")

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

    async def add_maintenance(request: web.Request) -> web.Response:
        who = await person(request)
        data = await body_object(request)
        unknown = set(data) - NEW_WINDOW_KEYS
        if unknown:
            raise BadInput(f"unknown keys: {', '.join(sorted(unknown))}")
        missing = {"services", "start", "end", "reason"} - set(data)
        if missing:
            raise BadInput(f"missing keys: {', '.join(sorted(missing))}")
        ids = data["services"]
        if not isinstance(ids, list) or not ids or not all(isinstance(s, str) for s in ids):
            raise BadInput("services must be a non-empty list of service ids")
        for key in ("start", "end", "reason"):
            if not isinstance(data[key], str):
                raise BadInput(f"{key} must be a string")
        rrule = data.get("rrule")
        if rrule is not None and not isinstance(rrule, str):
            raise BadInput("rrule must be a string")
        wid, late = await run(desk().add_maintenance, ids, data["start"], data["end"], rrule,
                              data["reason"], who.nip)
        return web.json_response({"id": wid, "registered_late": late is not None,
                                  "late_reason": late.value if late else None}, status=201)

    async def approve(request: web.Request) -> web.Response:
        who = await person(request)
        wid = window_id(request)
        approved = await run(desk().approve_maintenance, wid, who.nip)
        return web.json_response({"id": wid, "approved_for": approved})

    async def cancel(request: web.Request) -> web.Response:
        who = await person(request)
        wid = window_id(request)
        await run(desk().cancel_maintenance, wid, who.nip)
        return web.json_response({"id": wid, "cancelled": True})

    def drp() -> Drp:
        return Drp(host.config, host.store, host.clock)

    def run_id(request: web.Request) -> int:
        return row_id(request.match_info["run"], "run")

    async def drp_runs(_: web.Request) -> web.Response:
        runs = await run(drp().journal.runs)
        return web.json_response([{k: (v.isoformat() if hasattr(v, "isoformat") else v)
                                   for k, v in r.items()} for r in runs])

    async def drp_run(request: web.Request) -> web.Response:
        return web.json_response(await run(drp().status, run_id(request)))

    async def drp_approve(request: web.Request) -> web.Response:
        who = await person(request)
        rid = run_id(request)
        step = request.match_info["step"]
        data = await body_object(request) if request.can_read_body else {}
        unknown = set(data) - {"note", "scenario"}
        if unknown:
            raise BadInput(f"unknown keys: {', '.join(sorted(unknown))}")
        note = data.get("note")
        if note is not None and not isinstance(note, str):
            raise BadInput("note must be a string")
        scenario = data.get("scenario")
        if scenario is not None:
            if not isinstance(scenario, dict) or not isinstance(scenario.get("category"), str):
                raise BadInput("scenario must be an object with a category (Tabel 4.3)")
            if scenario["category"] not in {c.value for c in Category}:
                raise BadInput(f"unknown category {scenario['category']!r}")
            extra = set(scenario) - {"category", "recovery_days", "downtime_hours",
                                     "data_lost"}
            if extra:
                raise BadInput(f"unknown scenario keys: {', '.join(sorted(extra))}")
            for key in ("recovery_days", "downtime_hours"):
                value = scenario.get(key, 0)
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise BadInput(f"{key} must be a number of zero or more")
            if not isinstance(scenario.get("data_lost", False), bool):
                raise BadInput("data_lost must be true or false")
        await run(drp().approve, rid, step, who.nip, note, scenario)
        return web.json_response({"run": rid, "step": step, "signed_by": who.nip})

    async def openapi(_: web.Request) -> web.Response:
        return web.json_response(document())

    router.add_get("/api/v1/services", services)
    router.add_get("/api/v1/availability", availability)
    router.add_get("/api/v1/outages", outages)
    router.add_get("/api/v1/maintenance", maintenance)
    router.add_post("/api/v1/maintenance", add_maintenance)
    router.add_post("/api/v1/maintenance/{id}/approve", approve)
    router.add_post("/api/v1/maintenance/{id}/cancel", cancel)
    router.add_get("/api/v1/drp/runs", drp_runs)
    router.add_get("/api/v1/drp/runs/{run}", drp_run)
    router.add_post("/api/v1/drp/runs/{run}/steps/{step}/approve", drp_approve)
    router.add_get("/api/v1/openapi.json", openapi)

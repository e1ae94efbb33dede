"""The /api/v1 acts: each authenticates the person, checks the body, and hands the act to
the same Desk or Drp method the CLI calls, so the one room (`authority`) decides both."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiohttp import web

from spbe_monitor.api.common import Host, acting, body, required_text, row_id, text
from spbe_monitor.authority import Acting
from spbe_monitor.drp import review
from spbe_monitor.drp.evaluation import FIELDS
from spbe_monitor.drp.operations import Drp
from spbe_monitor.errors import BadInput
from spbe_monitor.manual import Desk
from spbe_monitor.regulation.disaster import Category

SCENARIO_KEYS = {"category", "recovery_days", "downtime_hours", "data_lost"}
DECISIONS = ("retry", "skip", "mark-done")


def _scenario(value: Any) -> dict[str, Any] | None:
    """Tabel 4.3 inputs for the `analyse` step, checked as the CLI's options are."""
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("category"), str):
        raise BadInput("scenario must be an object with a category (Tabel 4.3)")
    if value["category"] not in {c.value for c in Category}:
        raise BadInput(f"unknown category {value['category']!r}")
    extra = set(value) - SCENARIO_KEYS
    if extra:
        raise BadInput(f"unknown scenario keys: {', '.join(sorted(extra))}")
    for key in ("recovery_days", "downtime_hours"):
        number = value.get(key, 0)
        if isinstance(number, bool) or not isinstance(number, int | float) or number < 0:
            raise BadInput(f"{key} must be a number of zero or more")
    if not isinstance(value.get("data_lost", False), bool):
        raise BadInput("data_lost must be true or false")
    return value


def add_acts(router: web.UrlDispatcher, host: Host) -> None:
    def desk() -> Desk:
        return Desk(host.config, host.store, host.clock)

    def drp() -> Drp:
        return Drp(host.config, host.store, host.clock)

    async def act(request: web.Request, action: str,
                  do: Callable[[Acting], Any]) -> Any:
        """Authenticate, then act, both off the event loop (they touch the ledger)."""
        def work() -> Any:
            return do(acting(host, request, action))
        return await asyncio.to_thread(work)

    def window_id(request: web.Request) -> int:
        return row_id(request.match_info["id"], "window")

    def run_id(request: web.Request) -> int:
        return row_id(request.match_info["run"], "run")

    async def add_maintenance(request: web.Request) -> web.Response:
        data = await body(request, {"services", "start", "end", "reason"}, {"rrule"})
        ids = data["services"]
        if not isinstance(ids, list) or not ids or not all(isinstance(s, str) for s in ids):
            raise BadInput("services must be a non-empty list of service ids")
        start, end, reason = (required_text(data, k) for k in ("start", "end", "reason"))
        rrule = text(data, "rrule")
        wid, late = await act(request, "maintenance.add", lambda who: desk().add_maintenance(
            ids, start, end, rrule, reason, who))
        return web.json_response({"id": wid, "registered_late": late is not None,
                                  "late_reason": late.value if late else None}, status=201)

    async def approve_maintenance(request: web.Request) -> web.Response:
        wid = window_id(request)
        approved = await act(request, "maintenance.approve",
                             lambda who: desk().approve_maintenance(wid, who))
        return web.json_response({"id": wid, "approved_for": approved})

    async def cancel_maintenance(request: web.Request) -> web.Response:
        wid = window_id(request)
        await act(request, "maintenance.cancel",
                  lambda who: desk().cancel_maintenance(wid, who))
        return web.json_response({"id": wid, "cancelled": True})

    async def add_downtime(request: web.Request) -> web.Response:
        data = await body(request, {"service", "start", "end", "cause"}, set())
        sid, start, end, cause = (required_text(data, k)
                                  for k in ("service", "start", "end", "cause"))
        done = await act(request, "downtime.add",
                         lambda who: desk().add_downtime(sid, start, end, cause, who))
        return web.json_response({"id": done.id, "overlaps": list(done.overlaps)},
                                 status=201)

    async def annotate(request: web.Request) -> web.Response:
        oid = row_id(request.match_info["id"], "outage")
        cause = required_text(await body(request, {"cause"}, set()), "cause")
        await act(request, "downtime.annotate", lambda who: desk().annotate(oid, cause, who))
        return web.json_response({"id": oid, "cause": cause})

    async def switch_site(request: web.Request) -> web.Response:
        sid = request.match_info["service"]
        data = await body(request, {"site", "reason"}, set())
        site, reason = required_text(data, "site"), required_text(data, "reason")
        await act(request, "site.switch",
                  lambda who: desk().switch_site(sid, site, reason, who))
        return web.json_response({"service": sid, "site": site})

    async def approve_document(request: web.Request) -> web.Response:
        name = request.match_info["playbook"]
        book = await act(request, "drp.document.approve",
                         lambda who: drp().approve_document(name, who))
        return web.json_response({"playbook": book.id, "sha256": book.sha256})

    async def start(request: web.Request) -> web.Response:
        data = await body(request, {"playbook", "mode"}, {"disaster_at", "approved"})
        name, mode = required_text(data, "playbook"), required_text(data, "mode")
        if mode not in ("drill", "disaster"):
            raise BadInput("mode must be drill or disaster")
        at = text(data, "disaster_at")
        approved = data.get("approved", False)
        if not isinstance(approved, bool):
            raise BadInput("approved must be true or false")
        rid = await act(request, "drp.start",
                        lambda who: drp().start(name, mode, who, at, approved))
        return web.json_response({"run": rid, "mode": mode}, status=201)

    async def approve_step(request: web.Request) -> web.Response:
        rid, step = run_id(request), request.match_info["step"]
        data = await body(request, set(), {"note", "scenario", "checked", "all_checked"})
        note, scenario = text(data, "note"), _scenario(data.get("scenario"))
        checked = data.get("checked", [])
        if not isinstance(checked, list) or not all(isinstance(c, str) for c in checked):
            raise BadInput("checked must be a list of checklist items")
        all_checked = data.get("all_checked", False)
        if not isinstance(all_checked, bool):
            raise BadInput("all_checked must be true or false")

        def sign(who: Acting) -> dict[str, Any]:
            recorded = drp().approve(rid, step, who, note, scenario, checked, all_checked)
            return {"run": rid, "step": step, "signed_by": who.actor, **recorded}

        return web.json_response(await act(request, "drp.approve", sign))

    async def decide(request: web.Request) -> web.Response:
        rid, step = run_id(request), request.match_info["step"]
        data = await body(request, {"decision", "reason"}, {"recovered_at"})
        decision, reason = required_text(data, "decision"), required_text(data, "reason")
        recovered_at = text(data, "recovered_at")
        if decision not in DECISIONS:
            raise BadInput(f"decision must be one of {', '.join(DECISIONS)}")
        await act(request, f"drp.step.{decision}",
                  lambda who: drp().decide(rid, step, decision, reason, who, recovered_at))
        return web.json_response({"run": rid, "step": step, "decision": decision})

    async def reassess(request: web.Request) -> web.Response:
        rid = run_id(request)
        data = await body(request, {"scenario"}, {"note"})
        note, scenario = text(data, "note"), _scenario(data.get("scenario"))
        verdict = await act(request, "drp.reassess",
                            lambda who: drp().reassess(rid, who, scenario, note))
        return web.json_response({"run": rid, "tabel_4_3": verdict})

    async def evaluate(request: web.Request) -> web.Response:
        rid = run_id(request)
        data = await body(request, set(), set(FIELDS))
        parts = {k: text(data, k) or "" for k in FIELDS}
        done = await act(request, "drp.evaluate",
                         lambda who: review.evaluate(drp(), rid, who, parts))
        return web.json_response({"run": rid, **done.as_json()})

    async def acknowledge(request: web.Request) -> web.Response:
        rid = run_id(request)
        sha = required_text(await body(request, {"sha256"}, set()), "sha256")
        return web.json_response(await act(
            request, "report.signoff", lambda who: review.acknowledge(drp(), rid, who, sha)))

    async def abort(request: web.Request) -> web.Response:
        rid = run_id(request)
        reason = required_text(await body(request, {"reason"}, set()), "reason")
        untold = await act(request, "drp.aborted", lambda who: drp().abort(rid, reason, who))
        return web.json_response({"run": rid, "state": "aborted", "untold": untold})

    router.add_post("/api/v1/maintenance", add_maintenance)
    router.add_post("/api/v1/maintenance/{id}/approve", approve_maintenance)
    router.add_post("/api/v1/maintenance/{id}/cancel", cancel_maintenance)
    router.add_post("/api/v1/outages", add_downtime)
    router.add_post("/api/v1/outages/{id}/annotate", annotate)
    router.add_post("/api/v1/services/{service}/site", switch_site)
    router.add_post("/api/v1/drp/playbooks/{playbook}/approve", approve_document)
    router.add_post("/api/v1/drp/runs", start)
    router.add_post("/api/v1/drp/runs/{run}/steps/{step}/approve", approve_step)
    router.add_post("/api/v1/drp/runs/{run}/steps/{step}/decision", decide)
    router.add_post("/api/v1/drp/runs/{run}/abort", abort)
    router.add_post("/api/v1/drp/runs/{run}/reassess", reassess)
    router.add_post("/api/v1/drp/runs/{run}/evaluation", evaluate)
    router.add_post("/api/v1/drp/runs/{run}/acknowledge", acknowledge)

"""The OpenAPI 3.1 document served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from spbe_monitor import __version__

ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}
WINDOW_ID = {"name": "id", "in": "path", "required": True,
             "schema": {"type": "integer", "minimum": 1}}
RUN_ID = {"name": "run", "in": "path", "required": True, "schema": {"type": "integer",
                                                                     "minimum": 1}}


TOTP = {"name": "X-SPBE-TOTP", "in": "header", "required": False,
        "description": "the signer's current TOTP code: needed for eselon II acts (the "
                       "declaration, late maintenance, a DRP document)",
        "schema": {"type": "string", "pattern": "^[0-9]{6}$"}}
STEP = {"name": "step", "in": "path", "required": True, "schema": {"type": "string"}}


def _body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"required": bool(required), "content": {"application/json": {"schema": {
        "type": "object", "additionalProperties": False, "required": required,
        "properties": properties}}}}


def _act(summary: str, parameters: list[dict[str, Any]], body: dict[str, Any] | None,
         created: bool = False) -> dict[str, Any]:
    """A POST that carries a person's authority: bearer token, TOTP header when eselon II."""
    op: dict[str, Any] = {
        "summary": summary, "security": [{"bearer": []}], "parameters": [*parameters, TOTP],
        "responses": {"201" if created else "200": _json({"type": "object"}),
                      **_errors(400, 401, 403, 404)}}
    if body is not None:
        op["requestBody"] = body
    return {"post": op}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {400: "Bad input (the reason is given)", 401: "No valid bearer token",
            403: "The person's role or eselon does not allow this", 404: "Not found"}
    return {str(c): _json(ERROR, text[c]) for c in codes}


def document() -> dict[str, Any]:
    figure = {"type": "object", "required": ["service", "commitment_seconds",
                                             "downtime_seconds", "availability_percent"],
              "properties": {k: {"type": t} for k, t in {
                  "service": "string", "period": "string", "classification": "string",
                  "commitment_seconds": "integer", "downtime_seconds": "integer",
                  "excused_seconds": "integer", "maintenance_seconds": "integer",
                  "unmonitored_seconds": "integer", "partial": "boolean"}.items()}
              | {"availability_percent": {"type": ["number", "null"]},
                 "coverage_percent": {"type": ["number", "null"]},
                 "target_percent": {"type": ["number", "null"]},
                 "met": {"type": ["boolean", "null"]}}}
    new_window = {
        "type": "object", "required": ["services", "start", "end", "reason"],
        "additionalProperties": False,
        "properties": {
            "services": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "start": {"type": "string", "description": "ISO 8601; no offset = service zone"},
            "end": {"type": "string"},
            "rrule": {"type": ["string", "null"], "description": "RFC 5545 RRULE"},
            "reason": {"type": "string", "minLength": 1},
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "spbe-monitor API", "version": __version__,
                 "description": "Availability of SPBE services per Perbup Serang 49/2024."},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            "/api/v1/services": {"get": {"summary": "Services (Formulir C) and their state",
                                         "responses": {"200": _json({"type": "array"})}}},
            "/api/v1/status": {"get": {"summary": "Every service and component now",
                                       "responses": {"200": _json({"type": "object"})}}},
            "/api/v1/availability": {"get": {
                "summary": "The regulation's monthly figures",
                "parameters": [
                    {"name": "month", "in": "query", "required": False,
                     "description": "YYYY-MM (default: this month)",
                     "schema": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}},
                    {"name": "service", "in": "query", "required": False,
                     "schema": {"type": "string"}}],
                "responses": {"200": _json({"type": "array", "items": figure}),
                              **_errors(400)}}},
            "/api/v1/outages": {"get": {
                "summary": "Outages, newest last",
                "parameters": [{"name": "service", "in": "query", "required": False,
                                "schema": {"type": "string"}},
                               {"name": "month", "in": "query", "required": False,
                                "description": "YYYY-MM, in the configured zone",
                                "schema": {"type": "string",
                                           "pattern": "^[0-9]{4}-[0-9]{2}$"}},
                               {"name": "open", "in": "query", "required": False,
                                "description": "1: only the outages still going on",
                                "schema": {"type": "string", "enum": ["1", "true"]}}],
                "responses": {"200": _json({"type": "array"}), **_errors(400)}},
                **_act("Record downtime no probe saw (a user's report)", [], _body(
                    {k: {"type": "string", "minLength": 1}
                     for k in ("service", "start", "end", "cause")},
                    ["service", "start", "end", "cause"]), created=True)},
            "/api/v1/maintenance": {
                "get": {"summary": "Maintenance windows",
                        "responses": {"200": _json({"type": "array"})}},
                **_act("Register a maintenance window", [], {"required": True, "content": {
                    "application/json": {"schema": new_window}}}, created=True)},
            "/api/v1/drp/runs": {"get": {"summary": "DRP runs",
                                         "responses": {"200": _json({"type": "array"})}},
                                 **_act("Start a run (Koordinator Pemulihan; a disaster: "
                                        "eselon III+)", [], _body(
                                            {"playbook": {"type": "string"},
                                             "mode": {"enum": ["drill", "disaster"]},
                                             "disaster_at": {"type": "string"},
                                             "approved": {"type": "boolean"}},
                                            ["playbook", "mode"]), created=True)},
            "/api/v1/drp/runs/{run}": {"get": {
                "summary": "A run's status, as `spbe drp status --json`",
                "parameters": [RUN_ID],
                "responses": {"200": _json({"type": "object"}), **_errors(400, 404)}}},
            "/api/v1/drp/runs/{run}/steps/{step}/approve": _act(
                "Sign a declaration gate or approval step, or confirm a manual step "
                "(Tabel 4.4 gates by eselon and role)", [RUN_ID, STEP],
                _body({"note": {"type": "string"}, "scenario": {"type": "object"},
                       "checked": {"type": "array", "items": {"type": "string"}},
                       "all_checked": {"type": "boolean"}}, [])),
            "/api/v1/drp/runs/{run}/steps/{step}/decision": _act(
                "Retry, skip or mark done an in-doubt or failed step (Koordinator "
                "Pemulihan, eselon III+)", [RUN_ID, STEP],
                _body({"decision": {"enum": ["retry", "skip", "mark-done"]},
                       "reason": {"type": "string", "minLength": 1},
                       "recovered_at": {"type": "string"}},
                      ["decision", "reason"])),
            "/api/v1/drp/runs/{run}/reassess": _act(
                "Run Tabel 4.3 again inside an open run (whoever may sign the analysis); "
                "the earlier analyses are kept", [RUN_ID],
                _body({"scenario": {"type": "object"}, "note": {"type": "string"}},
                      ["scenario"])),
            "/api/v1/drp/runs/{run}/evaluation": _act(
                "The Koordinator Pemulihan's evaluation for Formulir G §C–E (each part "
                "optional, at least one; a new version replaces the printed one)", [RUN_ID],
                _body({k: {"type": "string"} for k in ("causes", "obstacles",
                                                       "improvements")}, [])),
            "/api/v1/drp/runs/{run}/acknowledge": _act(
                "\"Mengetahui\" of the filed Formulir G PDF of a finished run (Penyedia "
                "Layanan, eselon II or higher)", [RUN_ID],
                _body({"sha256": {"type": "string", "minLength": 64}}, ["sha256"])),
            "/api/v1/drp/runs/{run}/abort": _act(
                "Abort a run (Koordinator Pemulihan, eselon III+)", [RUN_ID],
                _body({"reason": {"type": "string", "minLength": 1}}, ["reason"])),
            "/api/v1/drp/playbooks/{playbook}/approve": _act(
                "Approve a DRP document's exact contents (Penyedia Layanan, eselon II+)",
                [{"name": "playbook", "in": "path", "required": True,
                  "schema": {"type": "string"}}], None),
            "/api/v1/outages/{id}/annotate": _act(
                "Record the cause of an outage", [{**WINDOW_ID, "name": "id"}],
                _body({"cause": {"type": "string", "minLength": 1}}, ["cause"])),
            "/api/v1/services/{service}/site": _act(
                "Switch the site serving a service, for a failover outside a DRP run "
                "(Koordinator Pemulihan of the service)",
                [{"name": "service", "in": "path", "required": True,
                  "schema": {"type": "string"}}],
                _body({"site": {"type": "string", "minLength": 1},
                       "reason": {"type": "string", "minLength": 1}}, ["site", "reason"])),
            "/api/v1/maintenance/{id}/approve": _act(
                "Approve a late window (Penyedia Layanan, eselon II or higher)", [WINDOW_ID],
                None),
            "/api/v1/maintenance/{id}/cancel": _act("Cancel a window", [WINDOW_ID], None),
            "/api/v1/agent/probes": {"get": {
                "summary": "The probes of the agent's location (an agent's token)",
                "security": [{"bearer": []}],
                "responses": {"200": {"description": "{location, probes: [settings]}"},
                              "401": {"description": "no or another token"}}}},
            "/api/v1/agent/results": {"post": {
                "summary": "An agent's results, at most 2000, each with its check's time",
                "security": [{"bearer": []}],
                "requestBody": {"content": {"application/json": {"schema": {
                    "type": "object", "required": ["results"], "properties": {"results": {
                        "type": "array", "maxItems": 2000, "items": {
                            "type": "object",
                            "required": ["probe", "at", "ok", "duration_s"]}}}}}}},
                "responses": {"200": {"description": "{accepted, unknown, elsewhere}"},
                              "400": {"description": "malformed, or observed in the future"},
                              "401": {"description": "no or another token"}}}},
        },
    }

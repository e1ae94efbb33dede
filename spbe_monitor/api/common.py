"""What every /api/v1 handler shares: the exception-to-HTTP mapping, ids and JSON bodies
checked with a reason, and who is acting (bearer token, plus X-SPBE-TOTP for eselon II
acts). Bad input is 400, a missing or unknown token 401, a refusal 403, unknown ids 404."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from spbe_monitor import refusals
from spbe_monitor.api.tokens import digest
from spbe_monitor.authority import Acting
from spbe_monitor.clock import Clock
from spbe_monitor.config.loader import Config
from spbe_monitor.config.models import Person
from spbe_monitor.config.quick import TOTP_HEADER
from spbe_monitor.errors import BadInput, NotFound, Refused, first_line
from spbe_monitor.ledger.store import Store
from spbe_monitor.monitor.engine import Monitor

log = logging.getLogger("spbe.api")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_ID = 2_147_483_647  # ledger ids are positive 32-bit integers
MAX_DEPTH = 8  # no act's body nests deeper (a Tabel 4.3 scenario is two levels)
MAX_STRING = 4000  # characters of any one string field (causes and notes: 2,000)


class Host(Protocol):
    """What the API reads from the daemon (the App)."""

    config: Config
    store: Store
    clock: Clock
    monitor: Monitor

    def drive_run(self, run_id: int) -> None: ...


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


def row_id(text: str, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise BadInput(f"the {what} id must be a whole number") from None
    if not 1 <= value <= MAX_ID:
        raise BadInput(f"the {what} id must be between 1 and {MAX_ID}")
    return value


async def body(request: web.Request, required: set[str], optional: set[str]
               ) -> dict[str, Any]:
    """The JSON object sent, with exactly the keys allowed (an empty body is {})."""
    if not request.can_read_body:
        data: Any = {}
    else:
        try:
            data = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise BadInput("the body is not valid JSON") from None
        except RecursionError:
            raise BadInput(f"the body nests deeper than {MAX_DEPTH} levels") from None
        _within_limits(data, 1)
    if not isinstance(data, dict):
        raise BadInput("the body must be a JSON object")
    unknown = set(data) - required - optional
    if unknown:
        raise BadInput(f"unknown keys: {', '.join(sorted(unknown))}")
    missing = required - set(data)
    if missing:
        raise BadInput(f"missing keys: {', '.join(sorted(missing))}")
    return data


def _within_limits(value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise BadInput(f"the body nests deeper than {MAX_DEPTH} levels")
    if isinstance(value, str) and len(value) > MAX_STRING:
        raise BadInput(f"a string of {len(value):,} characters; at most {MAX_STRING:,}")
    children = value.values() if isinstance(value, dict) else (
        value if isinstance(value, list) else ())
    for child in children:
        _within_limits(child, depth + 1)


def text(data: dict[str, Any], key: str) -> str | None:
    """An optional string field."""
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise BadInput(f"{key} must be a string")
    return value


def required_text(data: dict[str, Any], key: str) -> str:
    value = text(data, key)
    if value is None:
        raise BadInput(f"{key} must be a string")
    return value


def _unauthorised(reason: str) -> web.HTTPUnauthorized:
    return web.HTTPUnauthorized(text=json.dumps({"error": reason}),
                                content_type="application/json",
                                headers={"WWW-Authenticate": "Bearer"})


def _presented(host: Host, request: web.Request, record_use: bool
               ) -> tuple[Person | None, str]:
    """The person whose bearer token is presented, or None with the reason."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None, "no credential: a bearer token is required"
    nip = host.store.token_owner(digest(token.strip()), host.clock.now(), record_use)
    if nip is not None and nip in host.config.people:
        return host.config.people[nip], ""
    return None, "unknown, expired or revoked token"


def _refused(request: web.Request, reason: str) -> web.HTTPUnauthorized:
    refusals.refused("token", request.remote or "?", reason, unaudited=True)
    return _unauthorised(reason)


def acting(host: Host, request: web.Request, action: str) -> Acting:
    """The person whose bearer token is presented, with the TOTP code sent for this act;
    without one, 401 (counted, not audited: it names nobody). Runs in a worker thread."""
    person, reason = _presented(host, request, record_use=True)
    if person is None:
        raise _refused(request, reason.replace("required", "required for this act"))
    return Acting.of(person, request.headers.get(TOTP_HEADER))


def reader(host: Host, request: web.Request) -> Person:
    """Reads that carry personal data (NIPs, causes, notes, command output) need a person's
    token too; without one, 401, counted. Runs in a worker thread."""
    person, reason = _presented(host, request, record_use=False)
    if person is None:
        raise _refused(request, reason.replace("required", "required to read this"))
    return person

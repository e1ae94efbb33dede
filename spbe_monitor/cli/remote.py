"""Through the running daemon. Reads: the light commands ask its /api/v1 (already loaded
config, ledger open) instead of importing pydantic and SQLAlchemy themselves, which is what
keeps them near 0.15 s; the answer is the same JSON the command would build itself. Acts:
an official's act goes to the daemon with their token, so the daemon alone writes the
ledger. With no daemon on this config's ledger, the command works on the ledger directly."""

from __future__ import annotations

import http.client
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from spbe_monitor.config.quick import LEDGER_HEADER, TOTP_HEADER, Basics, basics
from spbe_monitor.credentials import presented_token
from spbe_monitor.errors import BadInput, NotFound, Refused, SpbeError

CONNECT_SECONDS = 0.5  # a daemon on loopback accepts at once; otherwise read directly
ANSWER_SECONDS = 60.0


def _exchange(config_path: Path | None, method: str, path: str, payload: bytes | None,
              headers: dict[str, str]) -> tuple[int, bytes, Basics] | None:
    """(status, body, basics) from the daemon on this config's ledger, with the person's
    token; None when none answers (or another ledger's daemon does: not ours to trust)."""
    if os.environ.get("SPBE_DIRECT"):
        return None
    found = basics(config_path)
    if found is None:
        return None
    conn = http.client.HTTPConnection(found.host, found.port, timeout=CONNECT_SECONDS)
    try:
        conn.connect()
        assert conn.sock is not None
        conn.sock.settimeout(ANSWER_SECONDS)
        token = presented_token()
        conn.request(method, path, body=payload, headers={
            **headers, **({"Authorization": f"Bearer {token}"} if token else {})})
        response = conn.getresponse()
        body = response.read()
        if response.getheader(LEDGER_HEADER) != found.ledger:
            return None
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()
    return response.status, body, found


def daemon_json(config_path: Path | None, path: str, query: dict[str, str | None],
                ) -> tuple[Any, Basics] | None:
    """The daemon's JSON answer (with the basics used to reach it), or None when no daemon
    on this config's ledger answers. Its 4xx refusals are the command's: raised as such."""
    params = urlencode({k: v for k, v in query.items() if v is not None})
    got = _exchange(config_path, "GET", f"{path}?{params}" if params else path, None, {})
    if got is None:
        return None
    status, body, found = got
    if status in (400, 404):
        reason = _reason(body)
        raise NotFound(reason) if status == 404 else BadInput(reason)
    if status != 200:
        # the daemon cannot answer now (ledger down), or not without a token we do not
        # have: the ledger directly, for whoever may read it (its owner, administrators)
        return None
    try:
        return json.loads(body), found
    except ValueError:
        return None


def daemon_act(config_path: Path | None, path: str, payload: dict[str, Any],
               totp: str | None) -> Any | None:
    """An official's act through the daemon on this ledger, with their token (and TOTP
    code): one room decides, one writer writes, as for the Konsol. Its JSON answer; None
    when no daemon answers (the command then acts on the ledger itself, which only its
    owner and the administrators can open). Every refusal is the command's."""
    got = _exchange(config_path, "POST", path, json.dumps(payload).encode(), {
        "Content-Type": "application/json", **({TOTP_HEADER: totp} if totp else {})})
    if got is None:
        return None
    status, body, _ = got
    if status in (401, 403):
        raise Refused(_reason(body))
    if status == 404:
        raise NotFound(_reason(body))
    if 400 <= status < 500:
        raise BadInput(_reason(body))
    if status >= 300:
        raise SpbeError(f"the daemon could not act: {_reason(body)}")
    return json.loads(body)


def _reason(body: bytes) -> str:
    try:
        return str(json.loads(body)["error"])
    except (ValueError, KeyError, TypeError):
        return body.decode("utf-8", "replace").strip() or "refused by the daemon"

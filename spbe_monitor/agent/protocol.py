"""What an agent and the central daemon exchange (pure): its probes as the inventory's own
settings, its results as JSON lines with their check times, and the agent's credential.

The token is a random secret the agent keeps; spbe.yaml keeps only its SHA-256, compared in
constant time."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from spbe_monitor.errors import BadInput
from spbe_monitor.probers import KINDS
from spbe_monitor.probers.base import ErrorKind, ProbeResult, ProbeSettings

MAX_RESULTS = 2000  # per push (an agent sends up to PUSH_BATCH)
PUSH_BATCH = 1000


def new_token() -> tuple[str, str]:
    """(token for the agent, its SHA-256 for spbe.yaml)."""
    token = "spbe-agent-" + secrets.token_urlsafe(32)
    return token, token_sha256(token)


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def location_of(token: str, hashes: dict[str, str]) -> str | None:
    """The location whose token this is (None: no location's)."""
    given = token_sha256(token)
    found = None
    for location, want in sorted(hashes.items()):
        if hmac.compare_digest(given, want):
            found = location
    return found


def probe_to_json(cfg: ProbeSettings) -> dict[str, Any]:
    data: dict[str, Any] = cfg.model_dump(mode="json")
    return data


def probe_from_json(data: Any) -> ProbeSettings:
    """The central daemon's probe, validated by its kind's model here as well."""
    if not isinstance(data, dict) or data.get("kind") not in KINDS:
        raise BadInput(f"not a probe of a known kind: {str(data)[:120]}")
    model, _ = KINDS[data["kind"]]
    return model.model_validate(data)


@dataclass(frozen=True)
class Observed:
    """One result of one probe at one location, at the time its check started."""

    probe: str
    at: datetime
    result: ProbeResult

    def as_json(self) -> dict[str, Any]:
        r = self.result
        return {"probe": self.probe, "at": self.at.isoformat(), "ok": r.ok,
                "duration_s": r.duration_s,
                "error_kind": r.error_kind.value if r.error_kind else None,
                "message": r.message, "degraded": r.degraded, "phases": r.phases,
                "values": r.values}

    def line(self) -> bytes:
        return json.dumps(self.as_json(), separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: Any) -> Observed:
        """Checked field by field: a malformed push is refused with the reason (400)."""
        if not isinstance(data, dict):
            raise BadInput("each result must be an object")
        try:
            at = datetime.fromisoformat(data["at"])
            if at.tzinfo is None:
                raise ValueError("a time without its zone")
            kind = data.get("error_kind")
            result = ProbeResult(
                ok=_bool(data["ok"]), duration_s=float(data["duration_s"]),
                error_kind=ErrorKind(kind) if kind is not None else None,
                message=str(data.get("message", ""))[:2000],
                phases={str(k): float(v) for k, v in dict(data.get("phases", {})).items()},
                values={str(k): float(v) for k, v in dict(data.get("values", {})).items()},
                degraded=None if data.get("degraded") is None else str(data["degraded"]))
            return cls(str(data["probe"]), at, result)
        except (KeyError, TypeError, ValueError) as exc:
            raise BadInput(f"malformed result {str(data)[:160]}: {exc}") from None


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("ok must be true or false")
    return value

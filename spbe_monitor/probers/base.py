"""What every probe kind shares: the result type, the error kinds, the settings every
inventory entry has, and the one place where library exceptions become error kinds."""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from spbe_monitor.config.fields import Duration, format_duration
from spbe_monitor.probers.needs import Need, needs_of


class ErrorKind(StrEnum):
    REFUSED = "refused"
    TIMEOUT = "timeout"
    RESOLVE = "resolve"
    UNREACHABLE = "unreachable"
    TLS_INVALID = "tls_invalid"
    BAD_STATUS = "bad_status"
    BODY_MISMATCH = "body_mismatch"
    BAD_ANSWER = "bad_answer"
    AUTH_FAILED = "auth_failed"
    UNKNOWN_HOST_KEY = "unknown_host_key"
    CHANGED_HOST_KEY = "changed_host_key"
    THRESHOLD = "threshold"
    NOT_MOUNTED = "not_mounted"
    PROTOCOL = "protocol"
    ERROR = "error"
    # the monitor itself could not check (no descriptors, no memory): nothing was observed
    # of the target, so the time is unobserved, never the service's downtime
    LOCAL = "local"


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One check's outcome. `degraded` names a crossed threshold while the check passed."""

    ok: bool
    duration_s: float
    error_kind: ErrorKind | None = None
    message: str = ""
    phases: dict[str, float] = field(default_factory=dict)
    values: dict[str, float] = field(default_factory=dict)
    degraded: str | None = None
    # when what it says was true, if not the check's start (a Prometheus sample's time)
    observed_at: datetime | None = None
    # False: nothing new was observed (a sample already seen, or none): shown, changes nothing
    fresh: bool = True


def uptime(seconds: float) -> str:
    """`up 32 min`, `up 5 h 12 min`, `up 3.2 days`: a host just rebooted is not "0.0 days"."""
    if seconds < 3600:
        return f"up {int(seconds // 60)} min"
    if seconds < 2 * 86400:
        return f"up {int(seconds // 3600)} h {int(seconds % 3600 // 60)} min"
    return f"up {seconds / 86400:.1f} days"


def failed(kind: ErrorKind, message: str, duration_s: float = 0.0,
           phases: dict[str, float] | None = None) -> ProbeResult:
    return ProbeResult(False, duration_s, kind, message, phases or {})


LOCAL_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.ENOBUFS})


def error_kind_of(exc: BaseException) -> ErrorKind:
    """The single mapping from library and OS exceptions to the small ErrorKind set."""
    if isinstance(exc, MemoryError) or (isinstance(exc, OSError)
                                        and exc.errno in LOCAL_ERRNOS):
        return ErrorKind.LOCAL
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return ErrorKind.TIMEOUT
    if isinstance(exc, ssl.SSLCertVerificationError | ssl.CertificateError):
        return ErrorKind.TLS_INVALID
    if isinstance(exc, ssl.SSLError):
        return ErrorKind.PROTOCOL
    if isinstance(exc, socket.gaierror):
        return ErrorKind.RESOLVE
    if isinstance(exc, ConnectionRefusedError):
        return ErrorKind.REFUSED
    if isinstance(exc, OSError) and exc.errno in (101, 113):  # ENETUNREACH, EHOSTUNREACH
        return ErrorKind.UNREACHABLE
    return ErrorKind.ERROR


def describe(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate invalid: {exc.verify_message}"
    text = str(exc) or type(exc).__name__
    return text


class ProbeSettings(BaseModel):
    """Keys every probe has, whatever its kind. Each setting's docstring is its
    documentation (docs/probes.md is generated from them: probers/reference.py)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=64)]
    """Unique name of the probe; services list it under `components` or `standby`."""
    kind: str
    """Which check this is: one of the kinds below."""
    interval: Duration = timedelta(seconds=30)
    """How often the check runs (e.g. `30s`, `1m`)."""
    timeout: Duration = timedelta(seconds=10)
    """How long one check may take; shorter than `interval`."""
    failures_to_down: int = Field(default=3, ge=1, le=100)
    """Consecutive failed checks before the component counts as down; the outage is dated from the
    first of them."""
    successes_to_up: int = Field(default=1, ge=1, le=100)
    """Consecutive passed checks before a down component counts as up again."""
    labels: dict[str, str] = {}
    """Free labels for dashboards; `site: secondary` marks a DRC probe (a DRP failover judges the
    service on that site's probes)."""
    locations: list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$",
                                         max_length=64)]] = []
    """Where it is probed from (spbe.yaml `location` and the agents' `locations`); empty: this
    daemon only."""
    quorum: int | None = Field(default=None, ge=1, le=100)
    """How many observing locations must see it down (default: all that observe it)."""

    def needs(self) -> list[Need]:
        """What it needs on the monitor's host (probers/needs.py)."""
        return needs_of(self)

    @field_validator("timeout")
    @classmethod
    def _timeout_under_interval(cls, value: timedelta, info: ValidationInfo) -> timedelta:
        """A check that may run past its next turn gets skipped turns, not results."""
        interval = info.data.get("interval")
        if interval is not None and value >= interval:
            raise ValueError(f"timeout {format_duration(value)} must be shorter than the "
                             f"interval {format_duration(interval)}")
        return value

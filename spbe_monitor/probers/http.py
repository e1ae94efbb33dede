"""HTTP(S) checks: status, body, latency threshold, redirects, certificate expiry, and
phase timings (resolve, connect, tls, first_byte, transfer) on a fresh connection each time.
"""

from __future__ import annotations

import asyncio
import re
import time
from datetime import timedelta
from functools import lru_cache
from typing import Literal
from urllib.parse import urljoin, urlsplit

from pydantic import Field, field_validator

from spbe_monitor.config.fields import Duration, HttpUrl
from spbe_monitor.probers.base import (
    ErrorKind,
    ProbeResult,
    ProbeSettings,
    describe,
    error_kind_of,
    failed,
)
from spbe_monitor.probers.context import ProbeContext, tls_context
from spbe_monitor.probers.needs import MaybeLocalFile
from spbe_monitor.transport.connect import EXPIRY, certificate_values, converse
from spbe_monitor.transport.http1 import Response, ResponseReader, build_request

REDIRECTS = (301, 302, 303, 307, 308)


EXAMPLE = """\
- id: perizinan-web
  kind: http
  url: https://perizinan.serangkab.go.id/health
  expected_status: [200]
  body_regex: '"status":\\s*"ok"'
  latency_threshold: 2s
  follow_redirects: 2
  labels: {site: primary, role: app}
"""  # docs/probes.md shows it; tests/test_probe_reference.py loads it


class Config(ProbeSettings):
    kind: Literal["http"] = "http"
    url: HttpUrl
    """The address fetched (http:// or https://)."""
    method: Literal["GET", "HEAD", "POST", "PUT", "OPTIONS"] = "GET"
    """GET, HEAD, POST, PUT or OPTIONS."""
    headers: dict[str, str] = Field(default_factory=dict)
    """Request headers; one given here replaces the default of its name (Host, User-Agent,
    Connection)."""
    body: str | None = None
    """Request body (POST, PUT)."""
    expected_status: list[int] = Field(default_factory=lambda: [200])
    """Status codes that pass."""
    body_contains: str | None = None
    """Text the body must contain."""
    body_regex: str | None = None
    """A regular expression the body must match."""
    latency_threshold: Duration | None = None
    """Degraded when the whole request takes longer (e.g. `2s`)."""
    follow_redirects: int = Field(default=0, ge=0, le=10)
    """How many redirects to follow (0: a redirect status is the answer)."""
    verify_tls: bool = True
    """Verify the certificate chain and name (turning it off is explicit, never silent)."""
    ca_file: MaybeLocalFile = None
    """A CA bundle on the monitor that signs the server's certificate (an agency CA)."""
    server_name: str | None = None
    """The site's name when `url` names an address or another name: sent in SNI, verified in the
    certificate, and the Host header."""
    cert_expiry_warning: Duration = timedelta(days=14)
    """Degraded when the certificate expires sooner than this."""

    @field_validator("headers")
    @classmethod
    def _headers(cls, v: dict[str, str]) -> dict[str, str]:
        seen: set[str] = set()
        for name, value in v.items():
            if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name) or any(
                    c in value for c in "\r\n"):
                raise ValueError(f"invalid header {name!r}")
            if name.lower() in seen:
                raise ValueError(f"header {name!r} given twice (names are case-insensitive)")
            seen.add(name.lower())
        return v

    @field_validator("server_name")
    @classmethod
    def _server_name(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Za-z0-9.-]{1,253}", v):
            raise ValueError(f"server_name must be a host name, not {v!r}")
        return v

    @field_validator("body_regex")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"invalid regex: {exc}") from None
        return v


def _add(phases: dict[str, float], name: str, seconds: float) -> None:
    phases[name] = phases.get(name, 0.0) + seconds


@lru_cache(maxsize=65536)
def _prepared(url: str, method: str, headers: tuple[tuple[str, str], ...],
              body: str | None, server_name: str | None) -> tuple[bool, str, int, bytes]:
    """Scheme, host, port and the request's bytes: the same for every check of a probe.
    With `server_name` (a site behind an address, a name-based virtual host) the Host
    header names it, as the TLS handshake does."""
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = parts.netloc.rsplit("@", 1)[-1] if server_name is None else (
        server_name if parts.port in (None, 443 if https else 80) else f"{server_name}:{port}")
    request = build_request(method, target, host, dict(headers),
                            body.encode() if body is not None else b"")
    return https, parts.hostname or "", port, request


async def _fetch(cfg: Config, url: str, phases: dict[str, float],
                 values: dict[str, float]) -> Response:
    # the configured name belongs to the configured host: a redirect elsewhere goes by its own
    name = cfg.server_name if urlsplit(url).hostname == urlsplit(cfg.url).hostname else None
    https, host, port, request = _prepared(url, cfg.method, tuple(cfg.headers.items()),
                                           cfg.body, name)
    hop: dict[str, float] = {}
    reader = ResponseReader(cfg.method == "HEAD")
    talk = await converse(host, port, hop, tls_context(cfg.verify_tls, cfg.ca_file)
                          if https else None, name, send=request, reader=reader)
    values.update(certificate_values(talk))
    response, sent = reader.response, talk.sent_at
    for name, seconds in hop.items():
        _add(phases, name, seconds)
    first = response.first_byte or sent
    _add(phases, "first_byte", first - sent)
    _add(phases, "transfer", (response.complete or first) - first)
    values["response_bytes"] = float(response.size)
    return response


async def probe(cfg: Config, ctx: ProbeContext) -> ProbeResult:
    started = time.perf_counter()
    phases: dict[str, float] = {}
    values: dict[str, float] = {}
    url = cfg.url
    try:
        for hop in range(cfg.follow_redirects + 1):
            response = await _fetch(cfg, url, phases, values)
            location = response.headers.get("location")
            if response.status in REDIRECTS and location and hop < cfg.follow_redirects:
                url = urljoin(url, location)
                continue
            break
    except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
        kind = error_kind_of(exc)
        if kind is ErrorKind.ERROR and "HTTP" in str(exc):
            kind = ErrorKind.PROTOCOL
        return failed(kind, describe(exc), time.perf_counter() - started, phases)
    duration = time.perf_counter() - started
    status = response.status
    values["status_code"] = float(status)
    if status not in cfg.expected_status:
        return ProbeResult(False, duration, ErrorKind.BAD_STATUS,
                           f"status {status}, expected {cfg.expected_status}", phases, values)
    text = response.body.decode("utf-8", errors="replace")
    if cfg.body_contains is not None and cfg.body_contains not in text:
        return ProbeResult(False, duration, ErrorKind.BODY_MISMATCH,
                           f"body does not contain {cfg.body_contains!r}", phases, values)
    if cfg.body_regex is not None and not re.search(cfg.body_regex, text):
        return ProbeResult(False, duration, ErrorKind.BODY_MISMATCH,
                           f"body does not match /{cfg.body_regex}/", phases, values)
    degraded = None
    if cfg.latency_threshold and duration > cfg.latency_threshold.total_seconds():
        degraded = (f"latency {duration * 1000:.0f} ms above "
                    f"{cfg.latency_threshold.total_seconds() * 1000:.0f} ms")
    expiry = values.get(EXPIRY)
    if expiry is not None and expiry - time.time() < cfg.cert_expiry_warning.total_seconds():
        degraded = f"TLS certificate expires in {(expiry - time.time()) / 86400:.1f} days"
    return ProbeResult(True, duration, None, f"status {status}", phases, values, degraded)

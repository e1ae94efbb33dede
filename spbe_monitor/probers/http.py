"""HTTP(S) checks: status, body, latency threshold, redirects, certificate expiry, and
phase timings (resolve, connect, tls, first_byte, transfer) on a fresh connection each time.

HTTP/1.1 is parsed by h11; sockets and timing are ours, so TLS is timed apart from TCP.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Literal
from urllib.parse import urljoin, urlsplit

import h11
from pydantic import Field, field_validator

from spbe_monitor.config.fields import Duration
from spbe_monitor.probers.base import (
    ErrorKind,
    ProbeResult,
    ProbeSettings,
    describe,
    error_kind_of,
    failed,
)
from spbe_monitor.probers.context import ProbeContext, tls_context
from spbe_monitor.transport.connect import open_connection

MAX_BODY = 1 << 20  # read at most 1 MiB of body for matching


class Config(ProbeSettings):
    kind: Literal["http"] = "http"
    url: str
    method: Literal["GET", "HEAD", "POST", "PUT", "OPTIONS"] = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = None
    expected_status: list[int] = Field(default_factory=lambda: [200])
    body_contains: str | None = None
    body_regex: str | None = None
    latency_threshold: Duration | None = None
    follow_redirects: int = Field(default=0, ge=0, le=10)
    verify_tls: bool = True
    ca_file: str | None = None
    cert_expiry_warning: Duration = timedelta(days=14)

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"expected an http:// or https:// URL with a host, got {v!r}")
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


async def _fetch(cfg: Config, url: str, phases: dict[str, float],
                 values: dict[str, float]) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    https = parts.scheme == "https"
    host = parts.hostname or ""
    port = parts.port or (443 if https else 80)
    tls = tls_context(cfg.verify_tls, cfg.ca_file) if https else None
    conn = await open_connection(host, port, tls)
    for k, v in conn.phases.items():
        phases[k] = phases.get(k, 0.0) + v
    try:
        expiry = conn.certificate_expiry()
        if expiry is not None:
            values["tls_cert_expiry_timestamp_seconds"] = expiry.timestamp()
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host_header = parts.netloc.rsplit("@", 1)[-1]
        body = cfg.body.encode() if cfg.body is not None else b""
        headers = [("Host", host_header), ("User-Agent", "spbe-monitor"),
                   ("Connection", "close"), *cfg.headers.items()]
        if body or cfg.method in ("POST", "PUT"):
            headers.append(("Content-Length", str(len(body))))
        h = h11.Connection(h11.CLIENT)
        t_sent = time.perf_counter()
        conn.writer.write(h.send(h11.Request(method=cfg.method, target=target, headers=headers)))
        if body:
            conn.writer.write(h.send(h11.Data(data=body)))
        conn.writer.write(h.send(h11.EndOfMessage()) or b"")
        await conn.writer.drain()
        first: float | None = None
        status = 0
        resp_headers: dict[str, str] = {}
        chunks: list[bytes] = []
        size = 0
        while True:
            event = h.next_event()
            if event is h11.NEED_DATA:
                data = await conn.reader.read(65536)
                if first is None:
                    first = time.perf_counter()
                h.receive_data(data)
                continue
            if isinstance(event, h11.Response):
                status = event.status_code
                resp_headers = {k.decode().lower(): v.decode("latin-1") for k, v in event.headers}
            elif isinstance(event, h11.Data):
                if size < MAX_BODY:
                    chunks.append(bytes(event.data))
                size += len(event.data)
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                break
        done = time.perf_counter()
        start = first if first is not None else done
        phases["first_byte"] = phases.get("first_byte", 0.0) + start - t_sent
        phases["transfer"] = phases.get("transfer", 0.0) + done - start
        values["response_bytes"] = float(size)
        return status, resp_headers, b"".join(chunks)
    finally:
        conn.close()


async def probe(cfg: Config, ctx: ProbeContext) -> ProbeResult:
    started = time.perf_counter()
    phases: dict[str, float] = {}
    values: dict[str, float] = {}
    url = cfg.url
    try:
        for hop in range(cfg.follow_redirects + 1):
            status, headers, body = await _fetch(cfg, url, phases, values)
            location = headers.get("location")
            if status in (301, 302, 303, 307, 308) and location and hop < cfg.follow_redirects:
                url = urljoin(url, location)
                continue
            break
    except h11.RemoteProtocolError as exc:
        return failed(ErrorKind.PROTOCOL, f"invalid HTTP response: {exc}",
                      time.perf_counter() - started, phases)
    except (OSError, TimeoutError) as exc:
        return failed(error_kind_of(exc), describe(exc), time.perf_counter() - started, phases)
    duration = time.perf_counter() - started
    values["status_code"] = float(status)
    if status not in cfg.expected_status:
        return ProbeResult(False, duration, ErrorKind.BAD_STATUS,
                           f"status {status}, expected {cfg.expected_status}", phases, values)
    text = body.decode("utf-8", errors="replace")
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
    expiry = values.get("tls_cert_expiry_timestamp_seconds")
    if expiry is not None and expiry - time.time() < cfg.cert_expiry_warning.total_seconds():
        degraded = f"TLS certificate expires in {(expiry - time.time()) / 86400:.1f} days"
    return ProbeResult(True, duration, None, f"status {status}", phases, values, degraded)

"""TCP checks: connect, optionally TLS, optionally send a line and expect a reply."""

from __future__ import annotations

import re
import time
from typing import Literal

from pydantic import Field

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


class Config(ProbeSettings):
    kind: Literal["tcp"] = "tcp"
    host: str
    port: int = Field(ge=1, le=65535)
    tls: bool = False
    verify_tls: bool = True
    ca_file: str | None = None
    send: str | None = None
    expect: str | None = None  # regex over the first bytes received


async def probe(cfg: Config, ctx: ProbeContext) -> ProbeResult:
    started = time.perf_counter()
    tls = tls_context(cfg.verify_tls, cfg.ca_file) if cfg.tls else None
    try:
        conn = await open_connection(cfg.host, cfg.port, tls)
    except (OSError, TimeoutError) as exc:
        return failed(error_kind_of(exc), describe(exc), time.perf_counter() - started)
    values: dict[str, float] = {}
    try:
        expiry = conn.certificate_expiry()
        if expiry is not None:
            values["tls_cert_expiry_timestamp_seconds"] = expiry.timestamp()
        if cfg.send is not None:
            conn.writer.write(cfg.send.encode())
            await conn.writer.drain()
        if cfg.expect is not None:
            got = b""
            pattern = re.compile(cfg.expect.encode())
            while not pattern.search(got):
                chunk = await conn.reader.read(4096)
                if not chunk:
                    return ProbeResult(False, time.perf_counter() - started,
                                       ErrorKind.BODY_MISMATCH,
                                       f"reply {got[:80]!r} does not match /{cfg.expect}/",
                                       conn.phases, values)
                got += chunk
    except (OSError, TimeoutError) as exc:
        return failed(error_kind_of(exc), describe(exc), time.perf_counter() - started,
                      conn.phases)
    finally:
        conn.close()
    return ProbeResult(True, time.perf_counter() - started, None, "connected", conn.phases,
                       values)

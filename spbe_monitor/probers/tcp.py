"""TCP checks: connect, optionally TLS, optionally send a line and expect a reply."""

from __future__ import annotations

import asyncio
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
from spbe_monitor.transport.connect import certificate_values, connect_socket, open_transport


class Config(ProbeSettings):
    kind: Literal["tcp"] = "tcp"
    host: str
    port: int = Field(ge=1, le=65535)
    tls: bool = False
    verify_tls: bool = True
    ca_file: str | None = None
    send: str | None = None
    expect: str | None = None  # regex over the bytes received


class _Dialogue(asyncio.Protocol):
    """Sends `send`, then collects bytes until `expect` matches or the peer closes."""

    def __init__(self, send: bytes | None, expect: re.Pattern[bytes] | None) -> None:
        self.send, self.expect = send, expect
        self.got = b""
        self.done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        if self.send:
            transport.write(self.send)
        if self.expect is None and not self.done.done():
            self.done.set_result(True)

    def data_received(self, data: bytes) -> None:
        self.got += data
        if self.expect is not None and self.expect.search(self.got) and not self.done.done():
            self.done.set_result(True)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(False)


async def probe(cfg: Config, ctx: ProbeContext) -> ProbeResult:
    started = time.perf_counter()
    phases: dict[str, float] = {}
    values: dict[str, float] = {}
    try:
        if not (cfg.tls or cfg.send or cfg.expect):  # a bare connect: no transport needed
            (await connect_socket(cfg.host, cfg.port, phases)).close()
            return ProbeResult(True, time.perf_counter() - started, None, "connected", phases)
        expect = re.compile(cfg.expect.encode()) if cfg.expect else None
        transport, talk, _ = await open_transport(
            cfg.host, cfg.port, lambda: _Dialogue(cfg.send.encode() if cfg.send else None,
                                                  expect),
            tls_context(cfg.verify_tls, cfg.ca_file) if cfg.tls else None, phases=phases)
        try:
            values.update(certificate_values(transport))
            matched = await talk.done
        finally:
            transport.close()
    except (OSError, TimeoutError) as exc:
        return failed(error_kind_of(exc), describe(exc), time.perf_counter() - started, phases)
    if not matched:
        return ProbeResult(False, time.perf_counter() - started, ErrorKind.BODY_MISMATCH,
                           f"reply {talk.got[:80]!r} does not match /{cfg.expect}/", phases,
                           values)
    return ProbeResult(True, time.perf_counter() - started, None, "connected", phases, values)

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
from spbe_monitor.transport.connect import certificate_values, connect_socket, open_conversation
from spbe_monitor.transport.conversation import Conversation


class Config(ProbeSettings):
    kind: Literal["tcp"] = "tcp"
    host: str
    port: int = Field(ge=1, le=65535)
    tls: bool = False
    verify_tls: bool = True
    ca_file: str | None = None
    send: str | None = None
    expect: str | None = None  # regex over the bytes received


async def _dialogue(talk: Conversation, send: bytes | None,
                    expect: re.Pattern[bytes] | None) -> tuple[bool, bytes]:
    """Sends `send`, then collects bytes until `expect` matches or the peer closes."""
    if send:
        await talk.send_all(send)
    got = b""
    if expect is None:
        return True, got
    while not expect.search(got):
        data = await talk.receive()
        if not data:
            return False, got
        got += data
    return True, got


async def probe(cfg: Config, ctx: ProbeContext) -> ProbeResult:
    started = time.perf_counter()
    phases: dict[str, float] = {}
    values: dict[str, float] = {}
    try:
        if not (cfg.tls or cfg.send or cfg.expect):  # a bare connect: no transport needed
            (await connect_socket(cfg.host, cfg.port, phases)).close()
            return ProbeResult(True, time.perf_counter() - started, None, "connected", phases)
        expect = re.compile(cfg.expect.encode()) if cfg.expect else None
        talk = await open_conversation(cfg.host, cfg.port, tls_context(cfg.verify_tls,
                                       cfg.ca_file) if cfg.tls else None, phases=phases)
        try:
            values.update(certificate_values(talk))
            matched, got = await _dialogue(talk, cfg.send.encode() if cfg.send else None,
                                           expect)
        finally:
            talk.close()
    except (OSError, TimeoutError) as exc:
        return failed(error_kind_of(exc), describe(exc), time.perf_counter() - started, phases)
    if not matched:
        return ProbeResult(False, time.perf_counter() - started, ErrorKind.BODY_MISMATCH,
                           f"reply {got[:80]!r} does not match /{cfg.expect}/", phases,
                           values)
    return ProbeResult(True, time.perf_counter() - started, None, "connected", phases, values)

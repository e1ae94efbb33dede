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
from spbe_monitor.probers.needs import MaybeLocalFile
from spbe_monitor.transport.connect import certificate_values, converse

EXAMPLE = """\
- id: mail-smtp
  kind: tcp
  host: mail.serangkab.go.id
  port: 25
  expect: "^220 "
  send: "QUIT\\r\\n"
"""  # docs/probes.md shows it; tests/test_probe_reference.py loads it


class Config(ProbeSettings):
    kind: Literal["tcp"] = "tcp"
    host: str
    """The host connected to."""
    port: int = Field(ge=1, le=65535)
    """Its port."""
    tls: bool = False
    """Start TLS after connecting (certificate verified unless `verify_tls: false`)."""
    verify_tls: bool = True
    """Verify the certificate chain and name (turning it off is explicit, never silent)."""
    ca_file: MaybeLocalFile = None
    """A CA bundle on the monitor that signs the server's certificate (an agency CA)."""
    send: str | None = None
    """Bytes sent once connected (e.g. `QUIT\\r\\n`)."""
    expect: str | None = None
    """A regular expression the bytes received must match (e.g. `^220 ` for SMTP)."""


class _Expect:
    """A conversation's reader: bytes until `expect` matches (or the peer hangs up)."""

    def __init__(self, expect: re.Pattern[bytes]) -> None:
        self.expect, self.got, self.matched = expect, b"", False

    def feed(self, data: bytes) -> bool:
        self.got += data
        self.matched = bool(self.expect.search(self.got))
        return self.matched

    def closed(self) -> None:
        """An unmatched reply is the check's answer, not an error."""


async def probe(cfg: Config, ctx: ProbeContext) -> ProbeResult:
    started = time.perf_counter()
    phases: dict[str, float] = {}
    values: dict[str, float] = {}
    try:
        reader = _Expect(re.compile(cfg.expect.encode())) if cfg.expect else None
        talk = await converse(cfg.host, cfg.port, phases, tls_context(cfg.verify_tls,
                              cfg.ca_file) if cfg.tls else None,
                              send=cfg.send.encode() if cfg.send else b"", reader=reader)
        values.update(certificate_values(talk))
    except (OSError, TimeoutError) as exc:
        return failed(error_kind_of(exc), describe(exc), time.perf_counter() - started, phases)
    if reader is not None and not reader.matched:
        return ProbeResult(False, time.perf_counter() - started, ErrorKind.BODY_MISMATCH,
                           f"reply {reader.got[:80]!r} does not match /{cfg.expect}/", phases,
                           values)
    return ProbeResult(True, time.perf_counter() - started, None, "connected", phases, values)

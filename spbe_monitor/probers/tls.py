"""TLS certificate checks for any host:port: valid chain, hostname, days to expiry."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Literal

from pydantic import Field

from spbe_monitor.config.fields import Duration
from spbe_monitor.probers.base import (
    ProbeResult,
    ProbeSettings,
    describe,
    error_kind_of,
    failed,
)
from spbe_monitor.probers.context import ProbeContext, tls_context
from spbe_monitor.probers.needs import MaybeLocalFile
from spbe_monitor.transport.connect import EXPIRY, certificate_values, converse

EXAMPLE = """\
- id: portal-cert
  kind: tls
  host: 10.10.1.30
  server_name: portal.serangkab.go.id
  expiry_warning: 21d
"""  # docs/probes.md shows it; tests/test_probe_reference.py loads it


class Config(ProbeSettings):
    kind: Literal["tls"] = "tls"
    host: str
    """The host whose certificate is checked."""
    port: int = Field(default=443, ge=1, le=65535)
    """Its port."""
    server_name: str | None = None
    """The name sent in SNI and verified, when not `host` (a site reached by address)."""
    ca_file: MaybeLocalFile = None
    """A CA bundle on the monitor that signs the certificate (an agency CA)."""
    expiry_warning: Duration = timedelta(days=14)
    """Degraded when the certificate expires sooner than this."""


async def probe(cfg: Config, ctx: ProbeContext) -> ProbeResult:
    started = time.perf_counter()
    try:
        phases: dict[str, float] = {}
        talk = await converse(cfg.host, cfg.port, phases, tls_context(True, cfg.ca_file),
                              cfg.server_name)
    except (OSError, TimeoutError) as exc:
        return failed(error_kind_of(exc), describe(exc), time.perf_counter() - started)
    values = certificate_values(talk)
    duration = time.perf_counter() - started
    degraded = None
    message = "certificate valid"
    if EXPIRY in values:
        days = (values[EXPIRY] - time.time()) / 86400
        message = f"certificate valid, expires in {days:.1f} days"
        if days * 86400 < cfg.expiry_warning.total_seconds():
            degraded = f"certificate expires in {days:.1f} days"
    return ProbeResult(True, duration, None, message, phases, values, degraded)

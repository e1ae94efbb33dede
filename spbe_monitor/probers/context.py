"""Shared resources probes borrow: TLS contexts and state kept between checks of one probe
(previous counters, for rates). Built once by the runner."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=64)
def tls_context(verify: bool = True, ca_file: str | None = None) -> ssl.SSLContext:
    """Verification is on unless a probe explicitly turns it off."""
    ctx = ssl.create_default_context(cafile=ca_file)
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


@dataclass
class ProbeContext:
    """Per-daemon state handed to every probe. `memory` holds a probe's previous sample."""

    memory: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: dict[str, Any] = field(default_factory=dict)

    def remember(self, probe_id: str) -> dict[str, Any]:
        return self.memory.setdefault(probe_id, {})

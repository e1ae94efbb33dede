"""Probe kinds: one module each, one signature `async probe(cfg, ctx) -> ProbeResult`.
A new kind is one module and one line in KINDS."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from spbe_monitor.probers import (
    database,
    dns,
    http,
    icmp,
    prometheus,
    snmp,
    ssh,
    storage,
    tcp,
    tls,
)
from spbe_monitor.probers.base import ProbeResult, ProbeSettings
from spbe_monitor.probers.context import ProbeContext

ProbeFn = Callable[[Any, ProbeContext], Awaitable[ProbeResult]]

KINDS: dict[str, tuple[type[ProbeSettings], ProbeFn]] = {
    "http": (http.Config, http.probe),
    "tcp": (tcp.Config, tcp.probe),
    "tls": (tls.Config, tls.probe),
    "dns": (dns.Config, dns.probe),
    "icmp": (icmp.Config, icmp.probe),
    "storage": (storage.Config, storage.probe),
    "database": (database.Config, database.probe),
    "ssh": (ssh.Config, ssh.probe),
    "snmp": (snmp.Config, snmp.probe),
    "prometheus": (prometheus.Config, prometheus.probe),
}

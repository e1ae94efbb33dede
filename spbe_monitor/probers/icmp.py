"""ICMP echo with icmplib: unprivileged datagram socket first, raw socket second."""

from __future__ import annotations

import time
from typing import Literal

from pydantic import Field

from spbe_monitor.config.fields import Duration
from spbe_monitor.probers.base import ErrorKind, ProbeResult, ProbeSettings, failed
from spbe_monitor.probers.context import ProbeContext

EXAMPLE = """\
- id: core-switch-ping
  kind: icmp
  host: 10.10.0.1
  count: 5
  rtt_threshold: 50ms
"""  # docs/probes.md shows it; tests/test_probe_reference.py loads it


class Config(ProbeSettings):
    kind: Literal["icmp"] = "icmp"
    host: str
    """The host pinged (an address or name)."""
    count: int = Field(default=3, ge=1, le=20)
    """Echo requests per check."""
    loss_threshold: float = Field(default=0.5, ge=0, le=1)
    """Share of lost replies above which it is down (0.5: more than half lost)."""
    rtt_threshold: Duration | None = None
    """Average round trip above which it is degraded (e.g. `200ms`)."""


async def probe(cfg: Config, ctx: ProbeContext) -> ProbeResult:
    from icmplib import async_ping  # loaded when a check runs, not to read the inventory
    from icmplib.exceptions import ICMPLibError, NameLookupError, SocketPermissionError

    started = time.perf_counter()
    wait = max(0.2, cfg.timeout.total_seconds() / (cfg.count + 1))
    try:
        try:
            host = await async_ping(cfg.host, count=cfg.count, interval=0.05, timeout=wait,
                                    privileged=False)
        except SocketPermissionError:
            host = await async_ping(cfg.host, count=cfg.count, interval=0.05, timeout=wait,
                                    privileged=True)
    except NameLookupError as exc:
        return failed(ErrorKind.RESOLVE, str(exc), time.perf_counter() - started)
    except (ICMPLibError, OSError) as exc:
        return failed(ErrorKind.ERROR, f"cannot ping: {exc}", time.perf_counter() - started)
    duration = time.perf_counter() - started
    values = {"packet_loss_ratio": host.packet_loss, "rtt_avg_seconds": host.avg_rtt / 1000}
    if host.packet_loss > cfg.loss_threshold:
        return ProbeResult(False, duration, ErrorKind.UNREACHABLE,
                           f"{host.packet_loss:.0%} packet loss", {"rtt": host.avg_rtt / 1000},
                           values)
    degraded = None
    if host.packet_loss > 0:
        degraded = f"{host.packet_loss:.0%} packet loss"
    if cfg.rtt_threshold and host.avg_rtt / 1000 > cfg.rtt_threshold.total_seconds():
        degraded = f"RTT {host.avg_rtt:.1f} ms above threshold"
    return ProbeResult(True, duration, None, f"{host.packets_received}/{host.packets_sent} "
                       f"replies, {host.avg_rtt:.2f} ms", {"rtt": host.avg_rtt / 1000}, values,
                       degraded)

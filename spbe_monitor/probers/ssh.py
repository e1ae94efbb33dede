"""Servers over SSH: CPU %, load, RAM %, swap, disk use per mount, network bytes per
interface as rates, uptime. One command per check on a pooled connection; the parsing is
pure (`hostmetrics`). Thresholds make the server degraded, not down."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from spbe_monitor.hostmetrics.df import parse_df
from spbe_monitor.hostmetrics.proc import (
    CpuTimes,
    cpu_percent,
    parse_loadavg,
    parse_meminfo,
    parse_net_dev,
    parse_stat,
    parse_uptime,
)
from spbe_monitor.probers.base import ErrorKind, ProbeResult, ProbeSettings, failed, uptime
from spbe_monitor.probers.context import ProbeContext
from spbe_monitor.probers.needs import LocalFile
from spbe_monitor.transport.ssh import HostKeyUnknown, SSHPool, Stop

SECTIONS = ("stat", "meminfo", "loadavg", "netdev", "uptime", "df", "dfi")
COMMAND = "; ".join(
    f"echo '@@{name}'; {cmd}" for name, cmd in zip(SECTIONS, (
        "cat /proc/stat", "cat /proc/meminfo", "cat /proc/loadavg", "cat /proc/net/dev",
        "cat /proc/uptime", "LC_ALL=C df -P -k", "LC_ALL=C df -P -i"), strict=True))


class SshTarget(BaseModel):
    """Where and as whom to log in; the host key must already be in `known_hosts`."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    host: str
    """The server logged in to."""
    port: int = Field(default=22, ge=1, le=65535)
    """Its SSH port."""
    user: str
    """The user the monitor logs in as (an unprivileged account)."""
    key_file: LocalFile
    """The private key on the monitor (0600, readable by the daemon's user)."""
    known_hosts: LocalFile = "~/.ssh/known_hosts"
    """The known_hosts file holding the server's host key: an unknown or changed key is refused,
    never learnt."""


EXAMPLE = """\
- id: app-server-1
  kind: ssh
  host: 10.10.1.20
  user: monitor
  key_file: /etc/spbe-monitor/id_ed25519
  known_hosts: /etc/spbe-monitor/known_hosts
  cpu_warning: 85
"""  # docs/probes.md shows it; tests/test_probe_reference.py loads it


class Config(ProbeSettings, SshTarget):
    kind: Literal["ssh"] = "ssh"
    cpu_warning: float = Field(default=90, gt=0, le=100)
    """Degraded when CPU use passes this percentage."""
    memory_warning: float = Field(default=90, gt=0, le=100)
    """Degraded when RAM use passes this percentage."""
    disk_warning: float = Field(default=85, gt=0, le=100)
    """Degraded when a mount's use passes this percentage."""


def split_sections(output: str) -> dict[str, str]:
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in output.splitlines():
        if line.startswith("@@") and line[2:] in SECTIONS:
            current = sections.setdefault(line[2:], [])
        elif current is not None:
            current.append(line)
    return {k: "\n".join(v) for k, v in sections.items()}


def host_values(sections: dict[str, str], memory: dict[str, object], now: float
                ) -> dict[str, float]:
    """All metrics from one sample; rates and CPU % need the previous one in `memory`."""
    values: dict[str, float] = {}
    cpu = parse_stat(sections["stat"])
    prev_cpu = memory.get("cpu")
    if isinstance(prev_cpu, CpuTimes):
        pct = cpu_percent(prev_cpu, cpu)
        if pct is not None:
            values["cpu_used_percent"] = pct
    values.update(parse_meminfo(sections["meminfo"]))
    values.update(parse_loadavg(sections["loadavg"]))
    values["uptime_seconds"] = parse_uptime(sections["uptime"])
    for mount, usage in parse_df(sections["df"]).items():
        values[f"disk_used_percent:{mount}"] = usage.used_percent
    for mount, usage in parse_df(sections.get("dfi", "")).items():
        values[f"inode_used_percent:{mount}"] = usage.used_percent
    net = parse_net_dev(sections["netdev"])
    prev_net, prev_at = memory.get("net"), memory.get("at")
    if isinstance(prev_net, dict) and isinstance(prev_at, float) and now > prev_at:
        for iface, (rx, tx) in net.items():
            if iface in prev_net and rx >= prev_net[iface][0] and tx >= prev_net[iface][1]:
                values[f"net_rx_bytes_per_second:{iface}"] = (rx - prev_net[iface][0]) / (
                    now - prev_at)
                values[f"net_tx_bytes_per_second:{iface}"] = (tx - prev_net[iface][1]) / (
                    now - prev_at)
    memory.update(cpu=cpu, net=net, at=now)
    return values


def _pool(ctx: ProbeContext) -> SSHPool:
    pool = ctx.resources.get("ssh")
    if pool is None:
        pool = ctx.resources["ssh"] = SSHPool()
    assert isinstance(pool, SSHPool)
    return pool


async def run_remote(target: SshTarget, ctx: ProbeContext, command: str, timeout: float,
                     on_output: Callable[[bytes], None] | None = None) -> str | ProbeResult:
    """The command's output, or the failed result saying why (shared by ssh and storage;
    `on_output` sees the output as it arrives). Past `timeout` or when cancelled, the
    command and everything it started are killed on the host."""
    import paramiko  # loaded when a check runs, not to read the inventory

    started = time.perf_counter()
    stop = Stop()
    try:
        return await asyncio.wait_for(asyncio.to_thread(
            _pool(ctx).run, target.host, target.port, target.user, target.key_file,
            target.known_hosts, command, timeout, on_output, stop), timeout)
    except asyncio.CancelledError:  # a DRP run aborted: the remote command ends with it
        await asyncio.to_thread(stop)
        raise
    except HostKeyUnknown as exc:
        return failed(ErrorKind.UNKNOWN_HOST_KEY, str(exc), time.perf_counter() - started)
    except paramiko.BadHostKeyException as exc:
        return failed(ErrorKind.CHANGED_HOST_KEY,
                      f"host key of {target.host}:{target.port} CHANGED (got "
                      f"{exc.key.get_name()} {exc.key.get_base64()[:16]}…): possible "
                      "interception; refused", time.perf_counter() - started)
    except paramiko.AuthenticationException as exc:
        return failed(ErrorKind.AUTH_FAILED, f"authentication failed for {target.user}: {exc}",
                      time.perf_counter() - started)
    except TimeoutError:
        await asyncio.to_thread(stop)  # a hung df on a dead NFS mount ends too
        return failed(ErrorKind.TIMEOUT, f"no SSH answer within {timeout:g} s",
                      time.perf_counter() - started)
    except ConnectionRefusedError as exc:
        return failed(ErrorKind.REFUSED, str(exc), time.perf_counter() - started)
    except (paramiko.SSHException, OSError) as exc:
        return failed(ErrorKind.ERROR, f"ssh: {exc}", time.perf_counter() - started)


async def probe(cfg: Config, ctx: ProbeContext) -> ProbeResult:
    started = time.perf_counter()
    output = await run_remote(cfg, ctx, COMMAND, cfg.timeout.total_seconds())
    if isinstance(output, ProbeResult):
        return output
    duration = time.perf_counter() - started
    try:
        values = host_values(split_sections(output), ctx.remember(cfg.id), time.monotonic())
    except (KeyError, ValueError, IndexError) as exc:
        return failed(ErrorKind.PROTOCOL, f"unexpected output from host: {exc}", duration)
    warnings = []
    if values.get("cpu_used_percent", 0) >= cfg.cpu_warning:
        warnings.append(f"CPU {values['cpu_used_percent']:.0f}%")
    if values["memory_used_percent"] >= cfg.memory_warning:
        warnings.append(f"RAM {values['memory_used_percent']:.0f}%")
    for key, v in values.items():
        if key.startswith("disk_used_percent:") and v >= cfg.disk_warning:
            warnings.append(f"disk {key.split(':', 1)[1]} {v:.0f}%")
    return ProbeResult(True, duration, None, uptime(values["uptime_seconds"]),
                       {"ssh": duration}, values, "; ".join(warnings) or None)

"""Parsers for /proc/stat, /proc/meminfo, /proc/loadavg, /proc/net/dev and /proc/uptime."""

from __future__ import annotations

from typing import NamedTuple


class CpuTimes(NamedTuple):
    total: int
    idle: int  # idle + iowait


def parse_stat(text: str) -> CpuTimes:
    for line in text.splitlines():
        fields = line.split()
        if fields and fields[0] == "cpu":
            numbers = [int(x) for x in fields[1:]]
            # guest time is already inside user/nice; count the first eight fields only
            total = sum(numbers[:8])
            idle = numbers[3] + (numbers[4] if len(numbers) > 4 else 0)
            return CpuTimes(total, idle)
    raise ValueError("no aggregate cpu line in /proc/stat")


def cpu_percent(before: CpuTimes, after: CpuTimes) -> float | None:
    """Busy share between two samples; None when no time passed (or counters reset)."""
    total = after.total - before.total
    idle = after.idle - before.idle
    if total <= 0 or idle < 0:
        return None
    return 100.0 * (total - idle) / total


def parse_meminfo(text: str) -> dict[str, float]:
    """memory and swap use in percent. Kernels before 3.14 (RHEL 6) lack MemAvailable:
    estimate it as MemFree + Buffers + Cached, as `free` did then."""
    kb: dict[str, int] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            kb[key.strip()] = int(parts[0])
    total = kb["MemTotal"]
    available = kb.get("MemAvailable",
                       kb.get("MemFree", 0) + kb.get("Buffers", 0) + kb.get("Cached", 0))
    out = {"memory_used_percent": 100.0 * (total - available) / total if total else 0.0,
           "memory_total_bytes": float(total * 1024)}
    swap_total = kb.get("SwapTotal", 0)
    out["swap_used_percent"] = (100.0 * (swap_total - kb.get("SwapFree", 0)) / swap_total
                                if swap_total else 0.0)
    return out


def parse_loadavg(text: str) -> dict[str, float]:
    one, five, fifteen = (float(x) for x in text.split()[:3])
    return {"load1": one, "load5": five, "load15": fifteen}


def parse_net_dev(text: str) -> dict[str, tuple[int, int]]:
    """(rx bytes, tx bytes) per interface, loopback excluded."""
    out: dict[str, tuple[int, int]] = {}
    for line in text.splitlines()[2:]:
        name, _, rest = line.partition(":")
        fields = rest.split()
        name = name.strip()
        if len(fields) >= 9 and name != "lo":
            out[name] = (int(fields[0]), int(fields[8]))
    return out


def parse_uptime(text: str) -> float:
    return float(text.split()[0])

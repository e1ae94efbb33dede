"""Storage checks on a path, locally or over ssh: mount present, capacity and inode use,
and a write-read-delete test that proves the volume accepts writes (not only that it is
mounted)."""

from __future__ import annotations

import asyncio
import os
import shlex
import time
import uuid
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from spbe_monitor.hostmetrics.df import parse_df
from spbe_monitor.probers.base import ErrorKind, ProbeResult, ProbeSettings, failed
from spbe_monitor.probers.context import ProbeContext
from spbe_monitor.probers.needs import LocalPath, MaybeLocalPath, Need
from spbe_monitor.probers.ssh import SshTarget, run_remote

EXAMPLE = """\
- id: arsip-nas
  kind: storage
  path: /srv/arsip
  mount: /srv/arsip
  usage_warning: 80
"""  # docs/probes.md shows it; tests/test_probe_reference.py loads it


class Config(ProbeSettings):
    kind: Literal["storage"] = "storage"
    ssh: SshTarget | None = None
    """Check the path on this host over SSH (host, port, user, key_file, known_hosts) instead of
    on the monitor."""
    path: LocalPath
    """The folder watched; relative to the inventory file's folder."""
    mount: MaybeLocalPath = None
    """A mount point that must be mounted (a missing NFS/iSCSI mount is down)."""
    write_test: bool = True
    """Write and remove a small file each check (a read-only filesystem is down)."""
    usage_warning: float = Field(default=85, gt=0, le=100)
    """Degraded when space or inodes used pass this percentage."""
    usage_critical: float = Field(default=98, gt=0, le=100)
    """Down when space or inodes used pass this percentage."""

    @field_validator("path", "mount")
    @classmethod
    def _relative_to_inventory(cls, v: str | None, info: ValidationInfo) -> str | None:
        """A relative path is relative to the inventory file's folder, not the cwd."""
        base = (info.context or {}).get("base")
        if v is None or base is None or os.path.isabs(v) or info.data.get("ssh"):
            return v
        return os.path.normpath(os.path.join(base, v))


    def needs(self) -> list[Need]:
        """With `ssh`, the path and the mount are the other host's."""
        return [n for n in super().needs() if not (self.ssh and n.kind == "path")]


def _verdict(cfg: Config, values: dict[str, float], phases: dict[str, float],
             duration: float) -> ProbeResult:
    worst = max(values["disk_used_percent"], values.get("inode_used_percent", 0.0))
    if worst >= cfg.usage_critical:
        return ProbeResult(False, duration, ErrorKind.THRESHOLD,
                           f"{worst:.1f}% used (critical {cfg.usage_critical}%)", phases, values)
    degraded = f"{worst:.1f}% used" if worst >= cfg.usage_warning else None
    return ProbeResult(True, duration, None, f"{values['disk_used_percent']:.1f}% used",
                       phases, values, degraded)


def _check(cfg: Config) -> ProbeResult:
    started = time.perf_counter()
    if cfg.mount is not None and not os.path.ismount(cfg.mount):
        return failed(ErrorKind.NOT_MOUNTED, f"{cfg.mount} is not mounted")
    try:
        st = os.statvfs(cfg.path)
    except OSError as exc:
        return failed(ErrorKind.ERROR, f"cannot stat {cfg.path}: {exc.strerror}")
    total = st.f_blocks * st.f_frsize
    used = (st.f_blocks - st.f_bfree) * st.f_frsize
    usable = used + st.f_bavail * st.f_frsize
    values = {
        "disk_total_bytes": float(total),
        "disk_used_percent": 100.0 * used / usable if usable else 0.0,
    }
    if st.f_files:
        values["inode_used_percent"] = 100.0 * (st.f_files - st.f_ffree) / st.f_files
    phases: dict[str, float] = {"stat": time.perf_counter() - started}
    if cfg.write_test:
        t = time.perf_counter()
        probe_file = Path(cfg.path) / f".spbe-probe-{uuid.uuid4().hex}"
        payload = os.urandom(4096)
        try:
            with open(probe_file, "wb") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            if probe_file.read_bytes() != payload:
                return failed(ErrorKind.ERROR, "read back differs from what was written")
        except OSError as exc:
            return failed(ErrorKind.ERROR, f"write test failed: {exc.strerror}")
        finally:
            probe_file.unlink(missing_ok=True)
        phases["write_read"] = time.perf_counter() - t
    return _verdict(cfg, values, phases, time.perf_counter() - started)


def remote_command(cfg: Config, token: str) -> str:
    """df for capacity and inodes, the mount check, and the write-read-delete test."""
    path = shlex.quote(cfg.path)
    probe_file = shlex.quote(f"{cfg.path.rstrip('/')}/.spbe-probe-{token}")
    mount = (f"mountpoint -q {shlex.quote(cfg.mount)} && echo mounted || echo absent"
             if cfg.mount else "echo mounted")
    write = (f"(echo {token} > {probe_file} && sync && cat {probe_file}); rm -f {probe_file}"
             if cfg.write_test else f"echo {token}")
    return (f"echo @@df; LC_ALL=C df -P -k {path}; echo @@dfi; LC_ALL=C df -P -i {path}; "
            f"echo @@mount; {mount}; echo @@write; {write}")


def parse_remote(cfg: Config, output: str, token: str, duration: float) -> ProbeResult:
    parts: dict[str, str] = {}
    for chunk in output.split("@@")[1:]:
        name, _, body = chunk.partition("\n")
        parts[name.strip()] = body
    if parts.get("mount", "").strip() != "mounted":
        return failed(ErrorKind.NOT_MOUNTED, f"{cfg.mount} is not mounted", duration)
    blocks = list(parse_df(parts.get("df", "")).values())
    if not blocks:
        return failed(ErrorKind.ERROR, f"df found no filesystem at {cfg.path}", duration)
    values = {"disk_total_bytes": float(blocks[0].total * 1024),
              "disk_used_percent": blocks[0].used_percent}
    inodes = list(parse_df(parts.get("dfi", "")).values())
    if inodes:
        values["inode_used_percent"] = inodes[0].used_percent
    if token not in parts.get("write", ""):
        return failed(ErrorKind.ERROR, f"write test failed on {cfg.path}", duration)
    return _verdict(cfg, values, {"ssh": duration}, duration)


async def probe(cfg: Config, ctx: ProbeContext) -> ProbeResult:
    if cfg.ssh is None:
        return await asyncio.to_thread(_check, cfg)
    started = time.perf_counter()
    token = uuid.uuid4().hex
    output = await run_remote(cfg.ssh, ctx, remote_command(cfg, token),
                              cfg.timeout.total_seconds())
    if isinstance(output, ProbeResult):
        return output
    return parse_remote(cfg, output, token, time.perf_counter() - started)

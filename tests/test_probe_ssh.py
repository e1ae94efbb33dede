"""The ssh prober against a real OpenSSH server on loopback: metrics, connection reuse,
every refusal (unknown host key, changed host key, wrong user key), and a command stopped
(cancelled or timed out) ending on the host with everything it started."""

import asyncio
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from spbe_monitor.monitor.runner import run_once
from spbe_monitor.probers import ssh, storage
from spbe_monitor.probers.base import ErrorKind, ProbeResult
from spbe_monitor.probers.context import ProbeContext
from tests.conftest import IN_CI
from tests.sshd import SSHD, SshServer, keygen, sshd


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SshServer]:
    if not SSHD.exists():
        if IN_CI:
            pytest.fail("sshd missing under CI=true: scripts/test installs openssh-server")
        pytest.skip("openssh-server not installed")
    with sshd(tmp_path / "sshd") as s:
        yield s


def cfg(s: SshServer, **kw: object) -> ssh.Config:
    base: dict[str, object] = dict(id="srv", host="127.0.0.1", port=s.port, user=s.user,
                                   key_file=str(s.key_file), known_hosts=str(s.known_hosts))
    base.update(kw)
    return ssh.Config.model_validate(base)


async def test_collects_host_metrics_and_reuses_the_connection(server):
    ctx = ProbeContext()
    first = await run_once(cfg(server), ctx)
    assert first.ok, first.message
    assert 0 < first.values["memory_used_percent"] < 100
    assert first.values["uptime_seconds"] > 0 and "load1" in first.values
    assert any(k.startswith("disk_used_percent:") for k in first.values)
    second = await run_once(cfg(server), ctx)
    assert second.ok and 0 <= second.values["cpu_used_percent"] <= 100
    pool = ctx.resources["ssh"]
    assert len(pool._clients) == 1  # one connection, reused
    pool.close()


async def test_disk_threshold_degrades(server):
    r = await run_once(cfg(server, disk_warning=0.001), ProbeContext())
    assert r.ok and r.degraded is not None and "disk" in r.degraded


async def test_unknown_host_key_is_refused_never_learnt(server, tmp_path):
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    r = await run_once(cfg(server, known_hosts=str(empty)), ProbeContext())
    assert (r.ok, r.error_kind) == (False, ErrorKind.UNKNOWN_HOST_KEY)
    assert "never accepted automatically" in r.message
    assert empty.read_text() == ""


async def test_changed_host_key_is_refused(server, tmp_path):
    keygen(tmp_path / "other")
    other = " ".join((tmp_path / "other.pub").read_text().split()[:2])
    forged = tmp_path / "forged_known_hosts"
    forged.write_text(f"[127.0.0.1]:{server.port} {other}\n")
    r = await run_once(cfg(server, known_hosts=str(forged)), ProbeContext())
    assert (r.ok, r.error_kind) == (False, ErrorKind.CHANGED_HOST_KEY)
    assert "CHANGED" in r.message


async def test_wrong_user_key_fails_authentication(server, tmp_path):
    keygen(tmp_path / "stranger")
    r = await run_once(cfg(server, key_file=str(tmp_path / "stranger")), ProbeContext())
    assert (r.ok, r.error_kind) == (False, ErrorKind.AUTH_FAILED)


async def test_storage_over_ssh_capacity_mount_and_write_test(server, tmp_path):
    target = {"host": "127.0.0.1", "port": server.port, "user": server.user,
              "key_file": str(server.key_file), "known_hosts": str(server.known_hosts)}
    remote = tmp_path / "remote-volume"
    remote.mkdir()
    cfg = storage.Config.model_validate({"id": "st", "ssh": target, "path": str(remote)},
                                        context={"base": "/elsewhere"})
    assert cfg.path == str(remote)  # a remote path is never rebased on the inventory folder
    ctx = ProbeContext()
    r = await run_once(cfg, ctx)
    assert r.ok, r.message
    assert 0 < r.values["disk_used_percent"] < 100 and "inode_used_percent" in r.values
    assert list(remote.iterdir()) == []  # the test file was removed
    r = await run_once(storage.Config.model_validate(
        {"id": "st", "ssh": target, "path": str(remote), "mount": str(remote)}), ctx)
    assert (r.ok, r.error_kind) == (False, ErrorKind.NOT_MOUNTED)
    r = await run_once(storage.Config.model_validate(
        {"id": "st", "ssh": target, "path": str(tmp_path / "missing")}), ctx)
    assert not r.ok and "df found no filesystem" in r.message
    r = await run_once(storage.Config.model_validate(
        {"id": "st", "ssh": {**target, "known_hosts": "/dev/null"}, "path": str(remote)}), ctx)
    assert (r.ok, r.error_kind) == (False, ErrorKind.UNKNOWN_HOST_KEY)


def _alive(mark: str) -> bool:
    return subprocess.run(["pgrep", "-f", mark], capture_output=True).returncode == 0


async def _until(condition: Callable[[], bool], what: str, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.1)


@pytest.mark.parametrize("ending", ["cancelled", "timeout"])
async def test_a_stopped_command_ends_on_the_host_with_all_it_started(server, tmp_path,
                                                                      ending):
    """Issue 30, item 2 over SSH: an aborted DRP step (its task cancelled) or a command past
    its timeout used to close nothing — the remote copy went on. Now the command's process
    group on the host is killed, background children included, within seconds."""
    sleep = f"sleep {4000 + os.getpid() % 1000}"  # a command line no other test runs
    script = (f"({sleep}; echo x > {tmp_path}/child.done) & echo menyalin; "
              f"touch {tmp_path}/started; {sleep}; echo x > {tmp_path}/copy.done")
    seen: list[bytes] = []
    run = ssh.run_remote(cfg(server), ProbeContext(), script,
                         300 if ending == "cancelled" else 3, seen.append)
    task = asyncio.create_task(run)
    await _until(lambda: (tmp_path / "started").exists(), "the command started")
    assert _alive(sleep) and _alive(f"{tmp_path}/copy.done")
    if ending == "cancelled":
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    else:
        result = await task
        assert isinstance(result, ProbeResult) and result.error_kind is ErrorKind.TIMEOUT
        assert "within 3 s" in result.message
    await _until(lambda: not _alive(sleep) and not _alive(f"{tmp_path}/copy.done"),
                 "the remote processes outlived the stop", 5)
    assert b"menyalin" in b"".join(seen)  # the output kept up to the stop


async def test_a_key_missing_on_the_monitor_is_unobserved_time_naming_the_file(tmp_path):
    """Issue 31, item 2: a missing key_file became the server's counted outage with
    "[Errno 2] No such file or directory". The monitor could not check: LOCAL (unobserved,
    never downtime), the setting and the file named."""
    key = tmp_path / "id_ed25519"
    cfg = ssh.Config(id="srv", host="127.0.0.1", port=1, user="monitor", key_file=str(key),
                     known_hosts=str(tmp_path / "known_hosts"))
    r = await run_once(cfg, ProbeContext())
    assert (r.ok, r.error_kind) == (False, ErrorKind.LOCAL)
    assert f"key_file: {key} does not exist" in r.message
    assert f"known_hosts: {tmp_path / 'known_hosts'} does not exist" in r.message

"""The snmp prober against a real net-snmp `snmpd` on a loopback port, v2c and v3."""

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from spbe_monitor.monitor.runner import run_once
from spbe_monitor.probers import snmp
from spbe_monitor.probers.base import ErrorKind
from spbe_monitor.probers.context import ProbeContext
from tests.conftest import IN_CI

SNMPD = Path("/usr/sbin/snmpd")


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def snmpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    if not SNMPD.exists():
        if IN_CI:
            pytest.fail("snmpd missing under CI=true: scripts/test installs it")
        pytest.skip("snmpd not installed")
    folder = tmp_path_factory.mktemp("snmpd")
    port = free_udp_port()
    conf = folder / "snmpd.conf"
    conf.write_text(f"""\
agentAddress udp:127.0.0.1:{port}
rocommunity spbe-ro 127.0.0.1
createUser spbemon SHA "spbe-auth-pass" AES "spbe-priv-pass"
rouser spbemon priv
""")
    env = {**os.environ, "SNMP_PERSISTENT_DIR": str(folder / "persist"),
           "SNMPCONFPATH": str(folder)}
    proc = subprocess.Popen([str(SNMPD), "-f", "-Lo", "-C", "-c", str(conf), "-p",
                             str(folder / "pid")], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        snmpget = shutil.which("snmpget")
        while snmpget:  # wait until it answers (net-snmp's own client, when installed)
            ok = subprocess.run([snmpget, "-v2c", "-c", "spbe-ro", "-t", "0.3", "-r", "0",
                                 f"127.0.0.1:{port}", "1.3.6.1.2.1.1.3.0"],
                                capture_output=True).returncode == 0
            if ok or time.monotonic() > deadline or proc.poll() is not None:
                break
            time.sleep(0.1)
        else:
            time.sleep(1)
        if proc.poll() is not None:
            raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "snmpd died")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("T_COMMUNITY", "spbe-ro")
    monkeypatch.setenv("T_AUTH", "spbe-auth-pass")
    monkeypatch.setenv("T_PRIV", "spbe-priv-pass")


async def test_v2c_uptime_interface_state_and_rates(snmpd, secrets):
    ctx = ProbeContext()
    cfg = snmp.Config(id="sw", host="127.0.0.1", port=snmpd, community_env="T_COMMUNITY",
                      interfaces=("lo",))
    first = await run_once(cfg, ctx)
    assert first.ok, first.message
    assert first.values["uptime_seconds"] >= 0 and first.values["if_up:lo"] == 1.0
    second = await run_once(cfg, ctx)  # rates need two samples (snmpd caches counters)
    assert second.ok and second.values["net_rx_bits_per_second:lo"] >= 0
    assert "bandwidth_used_percent:lo" in second.values


async def test_v3_auth_priv_and_wrong_keys(snmpd, secrets, monkeypatch):
    cfg = snmp.Config(id="sw", host="127.0.0.1", port=snmpd, version="3", user="spbemon",
                      auth_key_env="T_AUTH", priv_key_env="T_PRIV", interfaces=("lo",))
    r = await run_once(cfg, ProbeContext())
    assert r.ok, r.message
    monkeypatch.setenv("T_AUTH", "not-the-pass")
    r = await run_once(cfg, ProbeContext())
    assert (r.ok, r.error_kind) == (False, ErrorKind.AUTH_FAILED) and "digest" in r.message
    assert "not-the-pass" not in r.message


async def test_wrong_community_times_out_and_unknown_interface_is_named(snmpd, secrets,
                                                                        monkeypatch):
    cfg = snmp.Config(id="sw", host="127.0.0.1", port=snmpd, community_env="T_COMMUNITY",
                      interfaces=("eth-nope",))
    r = await run_once(cfg, ProbeContext())
    assert (r.ok, r.error_kind) == (False, ErrorKind.BAD_ANSWER) and "eth-nope" in r.message
    monkeypatch.setenv("T_COMMUNITY", "wrong")
    cfg = snmp.Config(id="sw", host="127.0.0.1", port=snmpd, community_env="T_COMMUNITY",
                      timeout="2s")
    r = await run_once(cfg, ProbeContext())
    assert (r.ok, r.error_kind) == (False, ErrorKind.TIMEOUT)


def test_credentials_are_required():
    with pytest.raises(ValueError, match="community_env"):
        snmp.Config(id="sw", host="h")
    with pytest.raises(ValueError, match="auth_key_env"):
        snmp.Config(id="sw", host="h", version="3", user="u")

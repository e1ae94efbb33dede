"""Pure parsers on text captured from Debian 12 and RHEL/CentOS 7 hosts."""

from pathlib import Path

import pytest

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
from spbe_monitor.probers.ssh import host_values

DATA = Path(__file__).parent / "data"


def read(host: str, name: str) -> str:
    return (DATA / host / name).read_text()


def test_debian_proc():
    cpu = parse_stat(read("debian12", "stat"))
    assert cpu == CpuTimes(2255 + 34 + 2290 + 22625563 + 6290 + 127 + 456 + 0,
                           22625563 + 6290)
    mem = parse_meminfo(read("debian12", "meminfo"))
    assert mem["memory_used_percent"] == pytest.approx(100 * (8039124 - 5123456) / 8039124)
    assert mem["swap_used_percent"] == pytest.approx(100 * (2097148 - 1572861) / 2097148)
    assert parse_loadavg(read("debian12", "loadavg")) == {"load1": 0.52, "load5": 0.58,
                                                          "load15": 0.59}
    net = parse_net_dev(read("debian12", "netdev"))
    assert net == {"ens3": (1215645123, 987654321), "docker0": (0, 0)}
    assert parse_uptime(read("debian12", "uptime")) == 350735.47


def test_rhel7_without_memavailable_and_no_swap():
    mem = parse_meminfo(read("rhel7", "meminfo"))
    avail = 216004 + 102448 + 1942980
    assert mem["memory_used_percent"] == pytest.approx(100 * (3881932 - avail) / 3881932)
    assert mem["swap_used_percent"] == 0.0
    assert parse_net_dev(read("rhel7", "netdev")) == {"eth0": (12345678901, 2345678901)}
    assert parse_stat(read("rhel7", "stat")).idle == 842486413 + 756859


def test_df_skips_pseudo_filesystems_and_keeps_spaces_in_mounts():
    deb = parse_df(read("debian12", "df"))
    assert set(deb) == {"/", "/srv/data", "/mnt/arsip dokumen"}
    assert deb["/srv/data"].used_percent == pytest.approx(100 * 92773123 / (92773123 + 5064764))
    rhel = parse_df(read("rhel7", "df"))
    assert set(rhel) == {"/", "/boot", "/home"}
    inodes = parse_df(read("debian12", "dfi"))
    assert inodes["/srv/data"].used_percent == pytest.approx(100 * 6400000 / 6553600)


def test_cpu_percent_between_samples():
    assert cpu_percent(CpuTimes(1000, 800), CpuTimes(2000, 1550)) == 25.0
    assert cpu_percent(CpuTimes(1000, 800), CpuTimes(1000, 800)) is None
    assert cpu_percent(CpuTimes(1000, 800), CpuTimes(500, 400)) is None  # reboot


def test_host_values_turn_counters_into_rates_on_the_second_sample():
    sections = {name: read("debian12", name) for name in
                ("stat", "meminfo", "loadavg", "netdev", "uptime", "df", "dfi")}
    memory: dict[str, object] = {}
    first = host_values(sections, memory, now=100.0)
    assert "cpu_used_percent" not in first and "net_rx_bytes_per_second:ens3" not in first
    assert first["disk_used_percent:/srv/data"] > 90
    later = dict(sections)
    later["stat"] = sections["stat"].replace("cpu  2255 34 2290 22625563",
                                             "cpu  2355 34 2290 22625863")
    later["netdev"] = sections["netdev"].replace("1215645123", "1215745123")
    second = host_values(later, memory, now=110.0)
    assert second["cpu_used_percent"] == pytest.approx(25.0)
    assert second["net_rx_bytes_per_second:ens3"] == pytest.approx(10_000.0)
    assert second["net_tx_bytes_per_second:ens3"] == 0.0


def test_uptime_reads_right_for_a_host_just_rebooted():
    """Issue 31, item 8: 1,925 s of uptime was "up 0.0 days"."""
    from spbe_monitor.probers.base import uptime

    assert uptime(1925) == "up 32 min"
    assert uptime(5 * 3600 + 12 * 60) == "up 5 h 12 min"
    assert uptime(3.2 * 86400) == "up 3.2 days"

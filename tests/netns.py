"""Network namespaces as the sites of a test (Linux, root): each with its own loopback, tied
to this one by veth pairs whose addresses the test makes (10.201.x.y/30)."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Sequence
from typing import IO

import pytest

from tests.conftest import IN_CI


def need_root() -> None:
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail("network namespaces need root; CI runs the suite as root")
        pytest.skip("network namespaces need root")


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


class Site:
    """A namespace; `link` ties it to this one; `exec` runs a command inside it."""

    def __init__(self) -> None:
        self.tag = uuid.uuid4().hex[:6]
        self.name = f"spbe-{self.tag}"
        ip("netns", "add", self.name)
        ip("-n", self.name, "link", "set", "lo", "up")
        self.links: list[str] = []

    def link(self, subnet: int) -> tuple[str, str, str]:
        """A veth pair 10.201.<subnet>.1 (here) ↔ .2 (inside); returns (here, inside, the
        inside interface's name)."""
        host_if, ns_if = f"h{subnet}{self.tag}"[:15], f"n{subnet}{self.tag}"[:15]
        ip("link", "add", host_if, "type", "veth", "peer", "name", ns_if, "netns", self.name)
        ip("addr", "add", f"10.201.{subnet}.1/30", "dev", host_if)
        ip("link", "set", host_if, "up")
        ip("-n", self.name, "addr", "add", f"10.201.{subnet}.2/30", "dev", ns_if)
        ip("-n", self.name, "link", "set", ns_if, "up")
        self.links.append(host_if)
        return f"10.201.{subnet}.1", f"10.201.{subnet}.2", ns_if

    def set_link(self, ns_if: str, up: bool) -> None:
        ip("-n", self.name, "link", "set", ns_if, "up" if up else "down")

    def exec(self, argv: Sequence[str], stdout: IO[bytes] | int | None = None,
             stderr: IO[bytes] | int | None = None) -> subprocess.Popen[bytes]:
        return subprocess.Popen(["ip", "netns", "exec", self.name, *argv], stdout=stdout,
                                stderr=stderr)

    def remove(self) -> None:
        subprocess.run(["ip", "netns", "pids", self.name], capture_output=True)
        for host_if in self.links:
            subprocess.run(["ip", "link", "del", host_if], capture_output=True)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)

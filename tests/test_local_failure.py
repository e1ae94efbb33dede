"""A check that fails because the monitor itself has no descriptors left is LOCAL — not
observed — whatever kind of probe it was, while a real refusal stays a failure."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest

from tests.daemon import Target

SCRIPT = textwrap.dedent("""
    import asyncio, os, sys
    from spbe_monitor.monitor.runner import run_once
    from spbe_monitor.probers import KINDS
    from spbe_monitor.probers.context import ProbeContext
    cfg = KINDS["tcp"][0].model_validate(
        {"id": "t", "kind": "tcp", "host": "127.0.0.1", "port": int(sys.argv[1])})
    async def main():
        keep = []
        if sys.argv[2] == "exhausted":  # the loop is running: take every descriptor left
            try:
                while True:
                    keep.append(os.open("/dev/null", os.O_RDONLY))
            except OSError:
                pass
        r = await run_once(cfg, ProbeContext())
        for fd in keep:
            os.close(fd)
        return r
    r = asyncio.run(main())
    print(r.ok, r.error_kind, r.message, sep="|")
""")


@pytest.fixture
def up() -> Iterator[Target]:
    t = Target()
    t.start()
    yield t
    t.stop()


def check(port: int, mode: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(port), mode], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().split("|")


def test_no_descriptors_is_local_not_a_failure_of_the_target(up: Target):
    assert check(up.port, "normal")[:2] == ["True", "None"]
    ok, kind, message = check(up.port, "exhausted")
    assert (ok, kind) == ("False", "local")
    assert message.startswith("not observed") and "open files" in message.lower()


def test_a_refused_connection_stays_a_failure():
    closed = Target()  # its port, nobody listening
    assert check(closed.port, "normal")[:2] == ["False", "refused"]

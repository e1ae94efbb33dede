"""The bundled example in a folder of its own, on a free port, with its daemon running as a
real process (`spbe run`): what the README's walk-through and the Konsol's browser tests
drive."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import ROOT, SPBE
from tests.pg import free_port


@contextmanager
def running_example(root: Path) -> Iterator[int]:
    """Copy the example into `root`, start its daemon; yields the port."""
    port = str(free_port())
    for folder in ("config", "probes", "drp_playbooks"):
        shutil.copytree(ROOT / folder, root / folder)
        for path in (root / folder).glob("*.yaml"):
            path.write_text(path.read_text().replace("9740", port))
    (root / "var").mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("SPBE_CONFIG", "SPBE_DATABASE_URL")}
    with open(root / "daemon.log", "wb") as log:
        daemon = subprocess.Popen([*SPBE, "run"], cwd=root, stdout=subprocess.DEVNULL,
                                  stderr=log, start_new_session=True, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/-/healthy", timeout=1)
                break
            except OSError:
                assert daemon.poll() is None and time.monotonic() < deadline, \
                    (root / "daemon.log").read_text()
                time.sleep(0.2)
        yield int(port)
    finally:
        os.killpg(daemon.pid, 15)
        daemon.wait(30)

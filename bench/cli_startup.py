"""Wall-clock time of the light `spbe` commands (those that neither probe nor render):
the median of 10 runs each, against `python -c pass`, on a copy of the bundled example with
a ledger already created — first with its daemon running (they read through it, the usual
case on the monitoring server), then without (each reads the ledger itself). Goal: under
0.25 s each with the daemon.

    .venv/bin/python -m bench.cli_startup [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = [
    ["--help"],
    ["classify", "--nature", "publik", "--basis", "umum", "--scope", "nasional"],
    ["status"],
    ["availability", "--month", "2026-10"],
    ["downtime", "list"],
    ["maintenance", "list"],
    ["drp", "list"],
    ["drp", "status", "1"],  # the bench's ledger has no run: the "no DRP run 1" answer
]


def median_seconds(argv: list[str], runs: int, cwd: Path) -> float:
    times = []
    env = {k: v for k, v in os.environ.items() if k not in ("SPBE_CONFIG", "SPBE_DATABASE_URL")}
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def daemon(root: Path, spbe: list[str]) -> Iterator[None]:
    """The example's daemon running in `root` until the block ends."""
    process = subprocess.Popen([*spbe, "run"], cwd=root, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    port = root.joinpath("config/spbe.yaml").read_text().split("port: ")[1].split()[0]
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/-/healthy", timeout=1)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    sys.exit("the example daemon did not start")
                time.sleep(0.2)
        yield
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for folder in ("config", "probes", "drp_playbooks"):
            shutil.copytree(ROOT / folder, root / folder)
        settings = root / "config" / "spbe.yaml"
        settings.write_text(settings.read_text().replace("port: 9740", f"port: {free_port()}"))
        (root / "var").mkdir()
        spbe = [sys.executable, "-m", "spbe_monitor"]
        subprocess.run([*spbe, "db", "upgrade"], cwd=root, check=True,
                       stdout=subprocess.DEVNULL)
        floor = median_seconds([sys.executable, "-c", "pass"], args.runs, root)
        print(f"{'':<56} {'daemon up':>10} {'no daemon':>10}")
        print(f"{'python -c pass':<56} {floor:8.3f} s")
        with daemon(root, spbe):
            up = [median_seconds([*spbe, *c], args.runs, root) for c in COMMANDS]
        for command, seconds in zip(COMMANDS, up, strict=True):
            alone = ("needs it" if command == ["status"] else
                     f"{median_seconds([*spbe, *command], args.runs, root):8.3f} s")
            verdict = "ok" if seconds < 0.25 else "over 0.25 s"
            print(f"{'spbe ' + ' '.join(command):<56} {seconds:8.3f} s {alone:>10}  {verdict}")


if __name__ == "__main__":
    main()

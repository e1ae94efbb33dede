"""Wall-clock time of the light `spbe` commands (those that neither probe nor render):
the median of 10 runs each, against `python -c pass`, on a copy of the bundled example with
a ledger already created — first with its daemon running (they read through it, the usual
case on the monitoring server), then without (each reads the ledger itself). Goal: under
0.25 s each with the daemon. Last, a second `spbe run` on the same ledger: refused (one
daemon per ledger) before the daemon's code loads; goal under 1 s.

    .venv/bin/python -m bench.cli_startup [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.example_daemon import running_example

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        spbe = [sys.executable, "-m", "spbe_monitor"]
        floor = median_seconds([sys.executable, "-c", "pass"], args.runs, root)
        print(f"{'':<56} {'daemon up':>10} {'no daemon':>10}")
        print(f"{'python -c pass':<56} {floor:8.3f} s")
        with running_example(root):  # the tests' copy of the example, its daemon running
            up = [median_seconds([*spbe, *c], args.runs, root) for c in COMMANDS]
            refused = median_seconds([*spbe, "run"], args.runs, root)
        for command, seconds in zip(COMMANDS, up, strict=True):
            alone = ("needs it" if command == ["status"] else
                     f"{median_seconds([*spbe, *command], args.runs, root):8.3f} s")
            verdict = "ok" if seconds < 0.25 else "over 0.25 s"
            print(f"{'spbe ' + ' '.join(command):<56} {seconds:8.3f} s {alone:>10}  {verdict}")
        verdict = "ok" if refused < 1 else "over 1 s"
        print(f"{'spbe run, a second daemon on the same ledger (refused)':<56} {refused:8.3f} s"
              f"{'':>13}{verdict}")


if __name__ == "__main__":
    main()

"""Wall-clock start of the light `spbe` commands (those that neither probe nor render):
the median of 10 runs each, against `python -c pass`, on a copy of the bundled example with
a ledger already created. Goal: under 0.25 s each.

    .venv/bin/python -m bench.cli_startup [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = [
    ["--help"],
    ["classify", "--nature", "publik", "--basis", "nasional", "--scope", "nasional"],
    ["status"],
    ["availability", "--month", "2026-10"],
    ["downtime", "list"],
    ["maintenance", "list"],
    ["drp", "list"],
    ["calendar", "--service", "persuratan-online", "--year", "2026"],
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
        for folder in ("config", "probes", "drp_playbooks"):
            shutil.copytree(ROOT / folder, root / folder)
        (root / "var").mkdir()
        spbe = [sys.executable, "-m", "spbe_monitor"]
        subprocess.run([*spbe, "db", "upgrade"], cwd=root, check=True,
                       stdout=subprocess.DEVNULL)
        floor = median_seconds([sys.executable, "-c", "pass"], args.runs, root)
        print(f"{'python -c pass':<48} {floor:6.3f} s")
        for command in COMMANDS:
            seconds = median_seconds([*spbe, *command], args.runs, root)
            verdict = "ok" if seconds < 0.25 else "over 0.25 s"
            print(f"{'spbe ' + ' '.join(command):<48} {seconds:6.3f} s  {verdict}")


if __name__ == "__main__":
    main()

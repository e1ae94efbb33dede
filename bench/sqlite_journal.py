"""What keeping SQLite's shared-memory file (-shm) out of the ledger would cost (issue 31,
item 6: an -shm made unwritable under a running daemon ends it with SIGBUS — the kernel's
answer to a write into a mapped page it may no longer back). Two ways avoid the mapping:
the rollback journal (`journal_mode=TRUNCATE`: no -shm at all) and WAL with
`locking_mode=EXCLUSIVE` (the index kept in the process's heap). Measured on this disk:

  commits/s  — the daemon's write: a transaction of transitions and a heartbeat, fsync'd
               (synchronous=FULL), one after another;
  writer wait — how long one such commit waits while another connection reads for 2 s
               (a report, `audit verify`, a Konsol page);
  outside reader — whether another process (the CLI, a backup) can read meanwhile.

    .venv/bin/python -m bench.sqlite_journal [--commits 500]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

MODES = {"WAL (today)": ("WAL", "NORMAL"), "TRUNCATE (no -shm)": ("TRUNCATE", "NORMAL"),
         "WAL + EXCLUSIVE (heap index)": ("WAL", "EXCLUSIVE")}


def connect(path: Path, journal: str, locking: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA locking_mode={locking}")
    conn.execute(f"PRAGMA journal_mode={journal}")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def commit(conn: sqlite3.Connection, n: int) -> None:
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO transitions(subject, at, state) VALUES (?, ?, ?)",
                     [(f"probe-{i}", n, "up") for i in range(5)])
    conn.execute("UPDATE heartbeats SET last_seen = ? WHERE id = 1", (n,))
    conn.execute("COMMIT")


def measure(folder: Path, journal: str, locking: str, commits: int) -> tuple[float, str, str]:
    path = folder / f"{journal}-{locking}.db"
    writer = connect(path, journal, locking)
    writer.execute("CREATE TABLE transitions(id INTEGER PRIMARY KEY, subject, at, state)")
    writer.execute("CREATE TABLE heartbeats(id INTEGER PRIMARY KEY, last_seen)")
    writer.execute("INSERT INTO heartbeats VALUES (1, 0)")
    started = time.perf_counter()
    for n in range(commits):
        commit(writer, n)
    rate = commits / (time.perf_counter() - started)
    shm = "yes" if Path(f"{path}-shm").exists() else "no"
    if locking == "EXCLUSIVE":  # another connection cannot even open it for reading
        other = sqlite3.connect(path, timeout=0.5)
        try:
            other.execute("SELECT count(*) FROM transitions").fetchone()
            outside = "reads"
        except sqlite3.OperationalError as exc:
            outside = f"refused ({exc})"
        other.close()
        writer.close()
        return rate, "-", f"{outside}; -shm: {shm}"
    reader = connect(path, journal, locking)
    holding = threading.Event()

    def long_read() -> None:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM transitions").fetchone()
        holding.set()
        time.sleep(2)
        reader.execute("COMMIT")

    thread = threading.Thread(target=long_read)
    thread.start()
    holding.wait()
    began = time.perf_counter()
    commit(writer, commits)
    waited = time.perf_counter() - began
    thread.join()
    writer.close()
    reader.close()
    return rate, f"{waited:.2f} s", f"reads; -shm: {shm}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=Path.cwd() / "var") as tmp:
        print(f"{'mode':<30} {'commits/s':>10} {'writer wait':>12}  outside reader")
        for name, (journal, locking) in MODES.items():
            rate, waited, outside = measure(Path(tmp), journal, locking, args.commits)
            print(f"{name:<30} {rate:>10.0f} {waited:>12}  {outside}")


if __name__ == "__main__":
    main()

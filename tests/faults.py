"""Real faults for the durability tests: an immutable SQLite ledger, a full disk."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def sqlite_files(database: Path) -> list[Path]:
    """The database and its WAL. Not the shared-memory index: SQLite maps it, and an
    immutable one it needs to grow ends the process with SIGBUS, which is a test of the
    kernel rather than of the daemon (the spool survives that too: it is fsync'd)."""
    return [p for p in (database, Path(f"{database}-wal")) if p.exists()]


def chattr(flag: str, paths: list[Path]) -> None:
    subprocess.run(["chattr", flag, *map(str, paths)], check=True)


@contextmanager
def immutable(database: Path) -> Iterator[None]:
    """The SQLite ledger (and its WAL and shared memory) made unwritable, even for root."""
    files = sqlite_files(database)
    chattr("+i", files)
    try:
        yield
    finally:
        chattr("-i", files)


@contextmanager
def small_disk(folder: Path, size: str = "64k") -> Iterator[Path]:
    """A tmpfs of `size` mounted on `folder`: a disk that fills up for real."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                   check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)

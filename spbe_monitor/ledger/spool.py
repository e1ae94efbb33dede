"""An append-only file of ledger writes the database refused, outside the database.

One line per write, `key<TAB>json`; every append is fsync'd before it is acknowledged, so a
crash keeps what was spooled. A torn last line (a crash during an append that was never
acknowledged) is cut when the spool is opened.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

log = logging.getLogger("spbe.spool")


class Spool:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._cut_torn_tail()
        self.count = len(self.read())

    def _cut_torn_tail(self) -> None:
        """A crash during an append can leave a last line without its newline: that write
        was never acknowledged. Cut it, so the next append starts on a line of its own."""
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        keep = data.rfind(b"\n") + 1
        if keep < len(data):
            log.warning("spool %s: cutting a torn last line (%d bytes) left by a crash",
                        self.path, len(data) - keep)
            with open(self.path, "r+b") as f:
                f.truncate(keep)
                os.fsync(f.fileno())

    def append(self, entries: list[tuple[str, bytes]]) -> None:
        """Durably add `(key, payload)` lines; raises OSError (e.g. disk full) untouched."""
        if not entries:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = b"".join(key.encode() + b"\t" + payload + b"\n" for key, payload in entries)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            size = os.fstat(fd).st_size
            try:
                written = os.write(fd, data)
                while written < len(data):
                    written += os.write(fd, data[written:])
                os.fsync(fd)
            except OSError:  # a disk full midway: no torn line for the next append to join
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, size)
                raise
        finally:
            os.close(fd)
        self.count += len(entries)

    def read(self) -> list[tuple[str, bytes]]:
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_bytes().split(b"\n")[:-1]:  # whole lines only
            key, tab, payload = line.partition(b"\t")
            if tab and payload:
                out.append((key.decode(), payload))
        return out

    def clear(self) -> None:
        """Everything spooled is in the ledger: start empty."""
        if self.path.exists():
            with open(self.path, "r+b") as f:
                f.truncate(0)
                os.fsync(f.fileno())
        self.count = 0

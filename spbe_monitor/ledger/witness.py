"""The checkpoints' witness outside the database. Whoever administers the database can
rewrite the chain with the public hash function and empty the checkpoints table; they cannot
rewrite a file they cannot reach. Every checkpoint the daemon signs is also appended to
`witness.jsonl` in the key folder (0600, the daemon's user; `chattr +a` makes it append-only)
with the (id, hash) of each entry it newly covers, so `spbe audit verify` names the first
entry that differs, a deleted checkpoint, and an entry written after a checkpoint yet
claiming an earlier time (backdated)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, select

from spbe_monitor.ledger.tables import audit_checkpoints, audit_log

NAME = "witness.jsonl"
# an entry may claim a time this much before the checkpoint that precedes it (cluster members'
# clocks differ by seconds); more is a backdated entry
SKEW = timedelta(minutes=5)


def path_for(key_path: Path) -> Path:
    return key_path.parent / NAME


@dataclass(frozen=True)
class Line:
    """One witnessed checkpoint and the entries it newly covers, in id order."""

    checkpoint: int
    entry_id: int
    entry_hash: str
    signed_at: datetime
    signature: str
    entries: tuple[tuple[int, str], ...]
    ledger: str = ""  # the ledger's identity (`identity`); "" in files of older versions

    def as_json(self) -> str:
        return json.dumps({"checkpoint": self.checkpoint, "entry_id": self.entry_id,
                           "entry_hash": self.entry_hash,
                           "signed_at": self.signed_at.isoformat(),
                           "signature": self.signature, "entries": self.entries,
                           "ledger": self.ledger}, separators=(",", ":"))

    @classmethod
    def parse(cls, text: str) -> Line:
        d = json.loads(text)
        return cls(int(d["checkpoint"]), int(d["entry_id"]), str(d["entry_hash"]),
                   datetime.fromisoformat(d["signed_at"]), str(d["signature"]),
                   tuple((int(i), str(h)) for i, h in d["entries"]), str(d.get("ledger", "")))

    def of(self, ledger: str) -> bool:
        """Whether the line witnesses this ledger (one key folder may serve two: a
        staging configuration beside production)."""
        return self.ledger in ("", ledger)


def identity(conn: Connection) -> str:
    """A ledger's identity: the hash of its first audit entry, unique to it and written
    before anything is witnessed."""
    first = conn.execute(select(audit_log.c.hash).order_by(audit_log.c.id).limit(1)).scalar()
    return str(first or "")


def _backwards(path: Path) -> Iterator[bytes]:
    """The file's lines, newest first, read from its end (the newest are what is asked)."""
    with path.open("rb") as f:
        f.seek(0, os.SEEK_END)
        pos, rest = f.tell(), b""
        while pos > 0:
            step = min(65536, pos)
            pos -= step
            f.seek(pos)
            lines = (f.read(step) + rest).split(b"\n")
            rest = lines.pop(0)
            for line in reversed(lines):
                if line.strip():
                    yield line
        if rest.strip():
            yield rest


def _mine(path: Path, ledger: str | None) -> Iterator[tuple[str, Line]]:
    """The ledger's lines (None: every line, an agent's copy of one ledger), newest first."""
    if path.exists():
        for raw in _backwards(path):
            text = raw.decode()
            line = Line.parse(text)
            if ledger is None or line.of(ledger):
                yield text, line


def newest(path: Path, ledger: str | None = None) -> Line | None:
    """The ledger's newest witness line (None: nothing witnessed yet), read from the end."""
    return next((line for _, line in _mine(path, ledger)), None)


def lines_after(path: Path, ledger: str, checkpoint: int, limit: int) -> list[str]:
    """The ledger's witness lines of checkpoints after `checkpoint`, oldest first, at most
    `limit` of the oldest: what an agent keeping a copy elsewhere has not yet. A copy that
    starts now (`checkpoint` 0) gets the newest line only."""
    newer: list[str] = []
    for text, line in _mine(path, ledger):
        if line.checkpoint <= checkpoint:
            break
        newer.append(text)
        if checkpoint == 0:
            break
    return newer[::-1][:limit]


def append(path: Path, line: Line) -> None:
    """Appended and flushed to disk before the checkpoint counts as witnessed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line.as_json() + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def read(path: Path) -> Iterator[Line]:
    with path.open(encoding="utf-8") as f:
        for number, text in enumerate(f, 1):
            try:
                yield Line.parse(text)
            except (ValueError, KeyError, TypeError):
                raise ValueError(f"{path}, line {number}: not a witness line") from None


def entries_since(conn: Connection, after: int, upto: int) -> tuple[tuple[int, str], ...]:
    return tuple((int(i), str(h)) for i, h in conn.execute(
        select(audit_log.c.id, audit_log.c.hash).where(
            audit_log.c.id > after, audit_log.c.id <= upto).order_by(audit_log.c.id)))


def problems(conn: Connection, path: Path) -> tuple[int, list[str]]:
    """(checkpoints witnessed, what the ledger no longer agrees with): each witnessed
    checkpoint still in the table, each witnessed entry still there with its hash (the first
    that differs is named), and no entry written after a checkpoint claiming a time before it."""
    found: list[str] = []
    count = 0
    entry_problem = False
    floor: datetime | None = None  # the signed_at of the checkpoint before the entries read
    covered = 0
    ledger = identity(conn)
    for line in read(path):
        if not line.of(ledger):
            continue  # another ledger's, kept with the same key folder
        count += 1
        cp = conn.execute(select(audit_checkpoints).where(
            audit_checkpoints.c.id == line.checkpoint)).first()
        if cp is None or (cp.entry_id, cp.entry_hash, cp.signature) != (
                line.entry_id, line.entry_hash, line.signature):
            found.append(f"checkpoint {line.checkpoint} (entry {line.entry_id}, signed "
                         f"{line.signed_at.isoformat(timespec='seconds')}) is in the witness "
                         f"{path} but {'missing from' if cp is None else 'different in'} "
                         "the ledger")
        if not entry_problem and line.entries:
            lo, hi = line.entries[0][0], line.entries[-1][0]
            rows = {int(r.id): r for r in conn.execute(
                select(audit_log.c.id, audit_log.c.hash, audit_log.c.at).where(
                    audit_log.c.id >= lo, audit_log.c.id <= hi))}
            for entry_id, witnessed in line.entries:
                row = rows.get(entry_id)
                if row is None or row.hash != witnessed:
                    entry_problem = True
                    what = "was deleted" if row is None else "differs from what was signed"
                    found.append(f"audit entry {entry_id} {what} (witness {path}, checkpoint "
                                 f"{line.checkpoint}): the history was rewritten from there")
                    break
                if floor is not None and row.at < floor - SKEW:
                    found.append(_backdated(entry_id, row.at, floor))
        covered = max(covered, line.entry_id)
        floor = line.signed_at
    if floor is not None:  # entries after the last witnessed checkpoint
        for entry_id, at in conn.execute(select(audit_log.c.id, audit_log.c.at).where(
                audit_log.c.id > covered, audit_log.c.at < floor - SKEW)):
            found.append(_backdated(int(entry_id), at, floor))
    return count, found


def _backdated(entry_id: int, at: datetime, floor: datetime) -> str:
    return (f"audit entry {entry_id} claims {at.isoformat(timespec='seconds')} but was "
            f"written after a checkpoint signed at {floor.isoformat(timespec='seconds')} "
            "(backdated)")

"""The monitor's own disaster: a copy of the SQLite ledger taken while the daemon writes
(SQLite's online backup API: a consistent snapshot, never a half-written file), verified by
opening it and checking its chain, checkpoint signatures and seals, kept 0600 with the
newest `keep` copies. A PostgreSQL ledger is backed up by the database's own tools
(pg_dump, a streaming replica): docs/drp.md."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import make_url

from spbe_monitor.errors import BadInput, SpbeError

PREFIX = "spbe-ledger-"


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int
    entries: int
    removed: tuple[Path, ...]


def sqlite_file(database_url: str) -> Path:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        raise BadInput("spbe db backup copies a SQLite ledger; back up PostgreSQL with "
                       "pg_dump or a streaming replica (docs/drp.md)")
    assert url.database is not None
    return Path(url.database)


def take(database_url: str, folder: Path, now: datetime, keys: list[Ed25519PublicKey],
         keep: int) -> Backup:
    """A verified copy in `folder`, named by the time it was taken; older copies beyond
    `keep` removed (only once this one verified)."""
    source = sqlite_file(database_url)
    if not source.exists():
        raise BadInput(f"no ledger at {source}")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = folder / f"{PREFIX}{now:%Y%m%dT%H%M%SZ}.db"
    partial = target.with_suffix(".part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=60)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)  # page by page, restarting if the daemon writes meanwhile
    finally:
        dst.close()
        src.close()
    entries = check(partial, keys)
    with open(partial, "rb") as f:
        os.fsync(f.fileno())
    partial.replace(target)
    removed = tuple(sorted(folder.glob(f"{PREFIX}*.db"))[:-keep]) if keep > 0 else ()
    for old in removed:
        old.unlink()
    return Backup(target, target.stat().st_size, entries, removed)


def check(path: Path, keys: list[Ed25519PublicKey]) -> int:
    """Open the copy and verify what it holds (chain, signatures, seals): a backup that
    cannot prove its history is no backup. Returns the entries read."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from spbe_monitor.ledger.store import Store
    from spbe_monitor.ledger.verify import verify

    # the file itself, not a URL: a folder named like "%41" is no escape to decode
    engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(str(path)),
                           poolclass=NullPool)
    try:
        verdict = verify(Store(engine), keys, [])
    finally:
        engine.dispose()
    if verdict.problems:
        raise SpbeError(f"the copy {path.name} does not verify: {verdict.problems[0]}")
    return verdict.entries


def restore(backup: Path, database_url: str, keys: list[Ed25519PublicKey]) -> int:
    """Put a verified copy where the config's ledger goes (a new machine, or after the
    disk was lost); refused over an existing ledger. Returns the entries it holds."""
    target = sqlite_file(database_url)
    if target.exists():
        raise BadInput(f"{target} exists: restore onto a new ledger path (move the old one "
                       "away first if it is really lost)")
    entries = check(backup, keys)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".restoring")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    partial.replace(target)
    return entries

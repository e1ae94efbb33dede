"""The one path every engine write takes to the ledger, so a database fault loses nothing.

Writes are applied in submission order, many per transaction, off the event loop. When the
database refuses (unreachable, read-only, locked file), the writes go to the spool on local
disk, in order, and every write submitted after them follows them there until a replay has
put the whole spool into the ledger. Each spooled write carries a key recorded in the same
transaction that applies it, so a replay interrupted by a crash never applies one twice.
A write the database rejects for what it is (not for being unreachable) is set aside in a
`.rejected` file and logged, never retried forever.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, delete, insert, select
from sqlalchemy import exc as sa_exc

from spbe_monitor.errors import first_line
from spbe_monitor.ledger.spool import Spool
from spbe_monitor.ledger.tables import applied_writes
from spbe_monitor.ledger.writes import Write, coalesce, dump, load

log = logging.getLogger("spbe.ledger")
BATCH = 2000  # writes per transaction
RETRY_SECONDS = 1.0
COMPLAIN_EVERY = 60.0  # seconds between repeated log lines about the same fault

Entry = tuple[str | None, Write]  # (idempotency key once spooled, the write)
Fence = Callable[[Connection, Sequence[Write]], list[Write]]


def is_transient(exc: BaseException) -> bool:
    """The database refused because of where it is, not what it was asked: retry later."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError
                      | sa_exc.InternalError | sa_exc.TimeoutError | OSError)


@dataclass
class WriterHealth:
    """What readiness, `spbe status` and /metrics say about the ledger path."""

    pending: int
    failures_total: int
    since: datetime | None
    reason: str | None


class DurableWriter:
    def __init__(self, engine: Engine, spool: Spool, now: Callable[[], datetime]) -> None:
        self.engine = engine
        self.spool = spool
        self._now = now
        self._queue: asyncio.Queue[Write | None] = asyncio.Queue()
        self._held: list[tuple[str, Write]] = []  # neither in the ledger nor yet spooled
        self._closed = False
        self._next_try = 0.0
        self.failures_total = 0
        self.since: datetime | None = now() if spool.count else None
        self.reason: str | None = "writes left in the spool by an earlier run" \
            if spool.count else None
        self._complained: dict[str, float] = {}
        self.spool_problem: str | None = None  # the spool refused too: writes only in memory
        self.fence: Fence | None = None  # a cluster member's: drops writes for lost units
        self._submitted = 0
        self._settled = 0
        self._progress = asyncio.Event()

    # --- the engine's side --------------------------------------------------------------

    def submit(self, write: Write) -> None:
        self._submitted += 1
        self._queue.put_nowait(write)

    async def settle(self) -> None:
        """Until everything submitted so far is in the ledger or the spool."""
        target = self._submitted
        while self._settled < target and not self._closed:
            self._progress.clear()
            await self._progress.wait()

    def _done(self, n: int) -> None:
        self._settled += n
        self._progress.set()

    def close(self) -> None:
        self._queue.put_nowait(None)

    def health(self) -> WriterHealth:
        pending = self.spool.count + len(self._held)
        reason = "; ".join(r for r in (self.reason, self.spool_problem) if r)
        return WriterHealth(pending, self.failures_total, self.since if pending else None,
                            reason if pending else None)

    # --- the worker -----------------------------------------------------------------------

    async def run(self) -> None:
        """Until `close()`: apply, or spool and replay, everything submitted."""
        while not self._closed:
            batch = await self._next_batch()
            if self.spool.count or self._held:
                self._held.extend((uuid.uuid4().hex, w) for w in batch)
                await asyncio.to_thread(self._spool_held)
                due = time.monotonic() >= self._next_try  # at most once per RETRY_SECONDS
                if due and not await asyncio.to_thread(self.replay):
                    self._next_try = time.monotonic() + RETRY_SECONDS
                self._done(len(batch))
                continue
            if not batch:
                continue
            try:
                await asyncio.to_thread(self._apply_direct, batch)
            except Exception as exc:  # only transient ones reach here (see _apply)
                self._refused(exc)
                self._held.extend((uuid.uuid4().hex, w) for w in batch)
                await asyncio.to_thread(self._spool_held)
            self._done(len(batch))
        self._progress.set()

    async def _next_batch(self) -> list[Write]:
        """What is queued (up to BATCH); while degraded, at least every RETRY_SECONDS."""
        degraded = bool(self.spool.count or self._held)
        try:
            first = await (asyncio.wait_for(self._queue.get(), RETRY_SECONDS) if degraded
                           else self._queue.get())
        except TimeoutError:
            return []
        batch: list[Write] = []
        item: Write | None = first
        while True:
            if item is None:
                self._closed = True
                break
            batch.append(item)
            if len(batch) >= BATCH or self._queue.empty():
                break
            item = self._queue.get_nowait()
        return batch

    def _apply_direct(self, batch: Sequence[Write]) -> None:
        rejected = self._apply([(None, w) for w in batch])
        for entry in rejected:
            self._reject(entry)

    def _apply(self, entries: Sequence[Entry]) -> list[Entry]:
        """Apply in one transaction; transient errors propagate. A write that fails for
        what it is gets isolated (one per transaction) and returned as rejected."""
        try:
            with self.engine.begin() as conn:
                self._apply_in(conn, entries)
            return []
        except Exception as exc:
            if is_transient(exc):
                raise
            if len(entries) == 1:
                log.error("ledger write rejected: %s: %s", entries[0][1].kind, first_line(exc))
                return list(entries)
            return [bad for e in entries for bad in self._apply([e])]

    def _apply_in(self, conn: Connection, entries: Sequence[Entry]) -> None:
        keys = [k for k, _ in entries if k is not None]
        done: set[str] = set()
        if keys:
            done = set(conn.execute(select(applied_writes.c.key).where(
                applied_writes.c.key.in_(keys))).scalars())
        todo = [w for k, w in entries if k is None or k not in done]
        if self.fence is not None:
            todo = self.fence(conn, todo)
        for write in coalesce(todo):
            write.apply(conn)
        fresh = [k for k in keys if k not in done]
        if fresh:
            now = self._now()
            conn.execute(insert(applied_writes), [{"key": k, "applied_at": now} for k in fresh])

    def _spool_held(self) -> None:
        if not self._held:
            return
        try:
            self.spool.append([(k, dump(w)) for k, w in self._held])
        except OSError as exc:
            self.spool_problem = (f"the spool cannot be written either ({exc.strerror}): "
                                  f"{len(self._held)} writes held in memory, lost if the "
                                  "daemon stops now")
            self._complain("spool", "cannot write the spool %s (%s); %d writes held in "
                           "memory until it can", self.spool.path, exc, len(self._held))
            return
        self._held.clear()
        self.spool_problem = None

    def replay(self) -> bool:
        """Put the spool (then anything held in memory) into the ledger, in order, each
        write once. True when nothing is pending any more."""
        try:
            lines = self.spool.read()
            for i in range(0, len(lines), BATCH):
                for entry in self._apply(self._parse(lines[i:i + BATCH])):
                    self._reject(entry)
            if lines:
                self.spool.clear()
                with self.engine.begin() as conn:  # no key can come back once cleared
                    conn.execute(delete(applied_writes))
            held, self._held = self._held, []
            try:
                for entry in self._apply([(None, w) for _, w in held]):
                    self._reject(entry)
            except Exception:
                self._held = held + self._held
                raise
        except Exception as exc:
            if not is_transient(exc):
                raise
            self._refused(exc)
            return False
        if lines or held:
            log.warning("ledger accepts writes again: %d spooled and %d held writes replayed "
                        "after %d failed attempts", len(lines), len(held), self.failures_total)
        self.since, self.reason = None, None
        self._complained.clear()
        return True

    def _parse(self, lines: list[tuple[str, bytes]]) -> list[Entry]:
        entries: list[Entry] = []
        for key, payload in lines:
            try:
                entries.append((key, load(payload)))
            except ValueError as exc:
                log.error("spool line %s unreadable, set aside: %s", key, first_line(exc))
                with open(self.spool.path.with_suffix(".rejected"), "ab") as f:
                    f.write(key.encode() + b"\t" + payload + b"\n")
        return entries

    # --- bookkeeping ------------------------------------------------------------------------

    def refused(self, exc: BaseException) -> None:
        """The ledger refused a write made beside this writer (the daemon's start): said
        the same way, until the writer itself gets through."""
        self._refused(exc)

    def _refused(self, exc: BaseException) -> None:
        # connections opened while the file was read-only stay read-only (SQLite falls back
        # to O_RDONLY): the next try opens fresh ones
        self.engine.dispose()
        self.failures_total += 1
        self.reason = f"database refused writes: {first_line(exc)}"
        if self.since is None:
            self.since = self._now()
        self._complain("db", "%s; keeping them in %s", self.reason, self.spool.path)

    def _complain(self, what: str, message: str, *args: object) -> None:
        """Once a minute per fault, never a log line per attempt."""
        now = time.monotonic()
        if now - self._complained.get(what, -COMPLAIN_EVERY) >= COMPLAIN_EVERY:
            self._complained[what] = now
            log.error(message, *args)

    def _reject(self, entry: Entry) -> None:
        key, write = entry
        path = self.spool.path.with_suffix(".rejected")
        try:
            with open(path, "ab") as f:
                f.write((key or "-").encode() + b"\t" + dump(write) + b"\n")
        except OSError as exc:
            log.error("cannot keep the rejected write in %s: %s", path, exc)

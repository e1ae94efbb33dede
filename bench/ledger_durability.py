"""The cost of the durable ledger path.

  (a) replay: 100,000 spooled writes (the daemon's mix: transitions, outages opened and
      closed, heartbeats, utilisation hours) put into the ledger, each exactly once, on
      SQLite and on PostgreSQL (a throwaway cluster on loopback, when installed);
  (b) the writer itself: CPU seconds per 10,000 writes applied straight to the ledger, and
      per 10,000 writes kept in the spool (fsync'd) while the ledger refuses them.

    .venv/bin/python -m bench.ledger_durability [--writes 100000]

The whole daemon's checks per CPU-second (with this writer in place) come from
`bench.probe_throughput`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from spbe_monitor.ledger import db
from spbe_monitor.ledger.durable import DurableWriter
from spbe_monitor.ledger.records import TransitionRow, UtilisationHour
from spbe_monitor.ledger.spool import Spool
from spbe_monitor.ledger.store import Store
from spbe_monitor.ledger.writes import (
    Beat,
    CloseOutage,
    OpenOutage,
    Transitions,
    Utilisation,
    Write,
    dump,
)
from tests.pg import PgCluster, create_database, pg_bindir

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def daemon_mix(count: int, session: int, seed: int = 7) -> list[Write]:
    """What a daemon of 200 services writes while its ledger refuses: mostly transitions
    and heartbeats, outages opened and closed, an hour's utilisation now and then."""
    rng = random.Random(seed)
    out: list[Write] = []
    open_: set[str] = set()
    for i in range(count):
        at = T0 + timedelta(seconds=i)
        roll = rng.random()
        sid = f"svc{rng.randrange(200)}"
        if roll < 0.55:
            out.append(Transitions((TransitionRow("component", f"p{i % 997}", at, "up", "down",
                                                  "connection refused"),)))
        elif roll < 0.88:
            out.append(Beat(session, at))
        elif roll < 0.98:
            if sid in open_:
                out.append(CloseOutage(sid, at))
                open_.discard(sid)
            else:
                out.append(OpenOutage(sid, at, "mayor", "P1", at + timedelta(minutes=15),
                                      at + timedelta(hours=12), "down", at))
                open_.add(sid)
        else:
            hour = at.replace(minute=0, second=0)
            out.append(Utilisation((UtilisationHour(f"host{i % 50}", "cpu_used_percent", hour,
                                                    30, 40.0, 90.0, at, 80.0),)))
    return out


def replay(url: str, folder: Path, count: int) -> tuple[float, int]:
    engine = db.make_engine(url)
    db.upgrade(engine)
    store = Store(engine)
    session = store.open_session("bench", T0)
    spool = Spool(folder / f"replay-{uuid.uuid4().hex[:6]}.spool")
    spool.append([(uuid.uuid4().hex, dump(w)) for w in daemon_mix(count, session)])
    writer = DurableWriter(engine, Spool(spool.path), lambda: datetime.now(UTC))
    started = time.perf_counter()
    assert writer.replay()
    elapsed = time.perf_counter() - started
    rows = len(store.transitions())
    engine.dispose()
    return elapsed, rows


async def drive(writer: DurableWriter, writes: list[Write]) -> None:
    task = asyncio.create_task(writer.run())
    for i, w in enumerate(writes):
        writer.submit(w)
        if i % 200 == 0:
            await asyncio.sleep(0)  # the daemon submits in bursts, once a second
    writer.close()
    await task


def cpu_per_10k(folder: Path, refused: bool, count: int = 20_000) -> float:
    url = f"sqlite:///{folder / f'writer-{uuid.uuid4().hex[:6]}.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    session = Store(engine).open_session("bench", T0)
    database = Path(url.removeprefix("sqlite:///"))
    writer = DurableWriter(engine, Spool(folder / f"w-{uuid.uuid4().hex[:6]}.spool"),
                           lambda: datetime.now(UTC))
    writes = daemon_mix(count, session, seed=11)
    files = [p for p in (database, Path(f"{database}-wal")) if p.exists()]
    if refused:
        subprocess.run(["chattr", "+i", *map(str, files)], check=True)
    try:
        started = time.process_time()
        asyncio.run(drive(writer, writes))
        spent = time.process_time() - started
    finally:
        if refused:
            subprocess.run(["chattr", "-i", *map(str, files)], check=True)
    if refused:
        assert writer.spool.count == count, writer.spool.count
    engine.dispose()
    return spent / count * 10_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--writes", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="spbe-bench-", dir="/var/tmp") as tmp:
        folder = Path(tmp)
        seconds, rows = replay(f"sqlite:///{folder / 'ledger.db'}", folder, args.writes)
        print(f"replay, SQLite:     {args.writes:,} writes in {seconds:.2f} s "
              f"({args.writes / seconds:,.0f}/s; {rows:,} transition rows)  goal < 10 s")
        bindir = pg_bindir()
        if bindir is not None:
            cluster = PgCluster(bindir)
            cluster.start()
            try:
                url = create_database(cluster.url, "bench")
                seconds, rows = replay(url, folder, args.writes)
                print(f"replay, PostgreSQL: {args.writes:,} writes in {seconds:.2f} s "
                      f"({args.writes / seconds:,.0f}/s)")
            finally:
                cluster.remove()
        direct = cpu_per_10k(folder, refused=False)
        spooled = cpu_per_10k(folder, refused=True)
        print(f"writer CPU per 10,000 writes: to the ledger {direct:.2f} s, "
              f"to the spool while the ledger refuses {spooled:.2f} s")


if __name__ == "__main__":
    main()

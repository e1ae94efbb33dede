"""Does a month cost more to read from a ledger of years than from a new one? The bundled
reports bench's agency (services with two host components each, a year of outages and
maintenance, the month's hourly utilisation) plus the twelve months before it that the
month's reports read (Formulir F's trend): component state changes every few hours and
hourly utilisation of 15 metrics per host (the issue's agency: 500 hosts, ~200 million
hourly rows in three years).
Timed on that ledger ("new"); then older history is added to the same ledger, so every
ledger holds the same rows for what is measured:

- two more months of hourly rows: the ledger at its largest, the night before retention
  (`retention.hourly`, 395 days) first has work; timed, then retention's nightly run,
  a month at a time (its time, and the longest day's transaction: how long it holds the
  ledger's write lock);
- the rest of the years as retention leaves them: daily utilisation rows, ten outages and
  a maintenance window a month per service (evidence, kept for ever), the state changes
  compacted away. Timed.

Timed: the month's availability figures (`spbe availability`), Formulir F's inputs
(everything the form reads from the ledger; rendering the PDF does not depend on the
ledger's age and is left out) and the month-end run without its PDFs (Formulir F of every
service built and written as JSON and HTML). Medians of 25 runs for the availability
figures (a 40 ms figure whose runs spread by half on a shared machine), 5 for Formulir F's
inputs, 3 for the month-end run, each with its fastest run and the seconds the median run
spent in SQL, after a checkpoint and a sync of the bench's own writes.
Goal: within 20 %. Also the ledger's size, and what the years would take without retention
(bytes per hourly row × rows).

Two runs at once (SQLite and `--postgres`) take turns for their timed reads (a lock file),
so neither is timed while the other writes.

    .venv/bin/python -m bench.ledger_growth [--services 250] [--metrics 15] [--years 3]
        [--postgres] [--statements N]
"""

from __future__ import annotations

import argparse
import fcntl
import gc
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import bindparam, event, func, insert, select, text

from bench.reports import MONTH, YEAR, a_month_of_evidence, build
from spbe_monitor import retention
from spbe_monitor.config.loader import Config
from spbe_monitor.ledger.retention import month_start, next_month
from spbe_monitor.ledger.sizes import table_sizes
from spbe_monitor.ledger.store import Store
from spbe_monitor.ledger.tables import UTCDateTime, metadata, transitions
from spbe_monitor.monthly import figures_for_month
from spbe_monitor.reports.inputs import collect
from spbe_monitor.reports.jobs import formulir_f_reports
from tests.pg import create_database, pg_bindir, postgres_cluster

METRICS = ["cpu_percent", "memory_percent", "disk_used_percent", "load1", "net_rx_bytes"]


class SqlClock:
    """Seconds spent executing statements, so a slower reading tells its SQL from its
    Python. On PostgreSQL that is the whole query (psycopg receives every row); on SQLite
    only its first step: the rest of its rows are read as Python iterates."""

    def __init__(self, store: Store) -> None:
        self.seconds = 0.0
        self.started = 0.0
        self.by_statement: defaultdict[str, float] = defaultdict(float)  # over every run
        event.listen(store.engine, "before_cursor_execute", self.before)
        event.listen(store.engine, "after_cursor_execute", self.after)

    def before(self, *_: object) -> None:
        self.started = time.perf_counter()

    def after(self, _conn: object, _cursor: object, statement: str, *_: object) -> None:
        took = time.perf_counter() - self.started
        self.seconds += took
        self.by_statement[" ".join(statement.split())[:90]] += took

    def costliest(self, n: int) -> str:
        most = sorted(self.by_statement.items(), key=lambda kv: -kv[1])[:n]
        return "".join(f"\n    {s * 1000:9,.1f} ms  {sql}" for sql, s in most)


class Reading(NamedTuple):
    median: float  # seconds: the goal's figure
    fastest: float  # the run least disturbed by anything else on the machine
    sql: float  # the median run's seconds executing statements


def timed(fn: Callable[[], object], sql: SqlClock, runs: int = 5) -> Reading:
    got = []
    for _ in range(runs):
        gc.collect()  # a collection of the previous run's garbage is not this run's cost
        sql.seconds = 0.0
        t0 = time.perf_counter()
        fn()
        got.append((time.perf_counter() - t0, sql.seconds))
    got.sort()
    median_run = got[len(got) // 2]
    return Reading(median=median_run[0], fastest=got[0][0], sql=median_run[1])


NOW = datetime(YEAR, MONTH + 1, 2, tzinfo=UTC)
LOCK = Path(tempfile.gettempdir()) / "spbe-bench-ledger-growth.lock"
OUTAGES_FROM = datetime(YEAR - 1, MONTH + 1, 1, tzinfo=UTC)  # the reports bench's year


def readings(config: Config, store: Store, sql: SqlClock, out: Path
             ) -> tuple[Reading, Reading, Reading]:
    ids = list(config.services)
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        settle(store)
        sql.by_statement.clear()  # the readings' statements, not the writes before them
        # a 40 ms figure: the runs of one reading spread by half on this shared machine
        return (timed(lambda: figures_for_month(config, store, YEAR, MONTH, ids, NOW), sql,
                      runs=25),
                timed(lambda: collect(config, store, YEAR, MONTH, ids, NOW), sql),
                timed(lambda: formulir_f_reports(config, store, YEAR, MONTH, ids,
                                                 ("json", "html"), out, NOW), sql, runs=3))


def settle(store: Store) -> None:
    """The bench's own writes flushed before a timed read (a checkpoint, then the page
    cache to disk): a month-end does not follow millions of rows written a minute before,
    and a checkpoint writing them out meanwhile is not the read's cost."""
    raw = store.engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert driver is not None
        if store.engine.dialect.name == "sqlite":
            driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            driver.autocommit = True
            driver.execute("CHECKPOINT")
    finally:
        raw.close()
    os.sync()


def count(store: Store, table: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(
            metadata.tables[table])).scalar_one())


def size_of(store: Store, full: bool) -> int:
    """Bytes the ledger takes. PostgreSQL: its tables and indexes after VACUUM (FULL when
    rows were deleted, to give their space back; ANALYZE: what autovacuum keeps up).
    SQLite: the pages in use, without VACUUM (a 50 GiB file has no room here for the copy
    VACUUM makes; free pages are reused by the next rows)."""
    raw = store.engine.raw_connection()  # outside any transaction, as VACUUM needs
    try:
        driver = raw.driver_connection
        assert driver is not None
        if store.engine.dialect.name == "sqlite":
            pages = [driver.execute(f"PRAGMA {p}").fetchone()[0]
                     for p in ("page_count", "freelist_count", "page_size")]
            return int((pages[0] - pages[1]) * pages[2])
        driver.autocommit = True
        driver.execute("VACUUM (FULL, ANALYZE)" if full else "VACUUM (ANALYZE)")
    finally:
        raw.close()
    return sum(s.bytes or 0 for s in table_sizes(store.engine))


class History:
    """Months of history written before the measured month, as the daemon writes them."""

    def __init__(self, config: Config, store: Store, metrics: int) -> None:
        self.store = store
        self.services = list(config.services)
        self.components = [pid for svc in config.services.values() for pid in svc.components]
        names = (METRICS * (metrics // len(METRICS) + 1))[:metrics]
        names = [n if i < len(METRICS) else f"{n}_{i // len(METRICS)}"
                 for i, n in enumerate(names)]
        self.sqlite = store.engine.dialect.name == "sqlite"
        hours = ("h(hour) AS (SELECT strftime('%Y-%m-%d %H:00:00.000000', :day, '+' || value "
                 "|| ' hours') FROM json_each('[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,"
                 "18,19,20,21,22,23]'))" if self.sqlite else
                 "h(hour) AS (SELECT generate_series(CAST(:day AS timestamp), CAST(:day AS "
                 "timestamp) + interval '23 hours', interval '1 hour'))")
        level = "(abs(random()) % 8000) / 100.0 + 10" if self.sqlite else "random() * 80 + 10"
        # generated by the database, every series of an hour together: a Python row per
        # value took 20 minutes for a tenth of this
        series = ("WITH c(probe_id) AS (VALUES " + ", ".join(f"('{p}')" for p in self.components)
                  + "), m(metric) AS (VALUES " + ", ".join(f"('{n}')" for n in names) + ") ")
        self.day_sql = text(
            series + ", " + hours + " INSERT INTO utilisation_hourly (probe_id, metric, hour, "
            "samples, avg, max, max_at, p95) SELECT probe_id, metric, hour, 120, v, v + 5, "
            f"hour, v + 3 FROM (SELECT probe_id, metric, hour, {level} AS v FROM h, c, m) g "
            "ORDER BY hour, probe_id, metric")
        self.daily_sql = text(  # what retention leaves of a day
            series + "INSERT INTO utilisation_daily (probe_id, metric, day, samples, avg, max, "
            f"max_at, p95) SELECT probe_id, metric, :day, 2880, v, v + 5, :day, v + 3 FROM ("
            f"SELECT probe_id, metric, {level} AS v FROM c, m) g ORDER BY probe_id, metric"
        ).bindparams(bindparam("day", type_=UTCDateTime()))

    def month(self, lo: datetime) -> None:
        """One calendar month as the daemon writes it: state changes, evidence, then a day
        of hourly utilisation per statement, every series of an hour together."""
        hi = next_month(lo)
        rng = random.Random(f"{lo:%Y-%m}")  # the same month, the same rows, in any order
        with self.store.engine.begin() as conn:
            rows = []
            for pid in self.components:
                at = lo + timedelta(hours=rng.uniform(0, 12))
                while at < hi:
                    rows.append(dict(subject_type="component", subject_id=pid, at=at,
                                     old="up", new=rng.choice(["up", "down", "degraded"]),
                                     message="grown"))
                    at += timedelta(hours=rng.uniform(1, 12))
            conn.execute(insert(transitions), rows)
        self.evidence(lo, rng)
        day = lo
        while day < hi:
            with LOCK.open("w") as lock, self.store.engine.begin() as conn:
                fcntl.flock(lock, fcntl.LOCK_SH)  # the other run's timed reads wait
                if self.sqlite:
                    conn.exec_driver_sql("PRAGMA cache_size = -1000000")  # 1 GiB: index tails
                for _ in range(7):  # a week per transaction
                    if day < hi:
                        conn.execute(self.day_sql, {"day": f"{day:%Y-%m-%d %H:%M:%S}"})
                        day += timedelta(days=1)
        print(f"  … {lo:%Y-%m}", file=sys.stderr, flush=True)

    def rolled_up(self, lo: datetime) -> None:
        """One calendar month as retention leaves it: evidence and daily utilisation."""
        self.evidence(lo, random.Random(f"{lo:%Y-%m}"))
        with LOCK.open("w") as lock, self.store.engine.begin() as conn:
            fcntl.flock(lock, fcntl.LOCK_SH)
            day = lo
            while day < next_month(lo):
                conn.execute(self.daily_sql, {"day": day})
                day += timedelta(days=1)

    def evidence(self, lo: datetime, rng: random.Random) -> None:
        """Outages and maintenance as the reports bench's year has them (kept for ever)."""
        if lo < OUTAGES_FROM:  # the reports bench's year has its own
            with self.store.engine.begin() as conn:
                a_month_of_evidence(conn, self.services, lo, rng)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--services", type=int, default=250,
                        help="two host components each (default: 500 hosts)")
    parser.add_argument("--metrics", type=int, default=15, help="per host")
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--statements", type=int, default=0, metavar="N",
                        help="after each reading, the N statements that took longest")
    parser.add_argument("--postgres", action="store_true",
                        help="on a throwaway PostgreSQL (Debian's) instead of SQLite")
    args = parser.parse_args()
    kind = "PostgreSQL" if args.postgres else "SQLite"
    stop = month_start(datetime(YEAR, MONTH, 1, tzinfo=UTC) - timedelta(days=1))
    months = [add_months(stop, -n) for n in range(12 * args.years, 0, -1)]  # oldest first
    every_hour = 2 * args.services * args.metrics * int(
        (stop - months[0]).total_seconds() // 3600)
    say(f"{kind}: {args.services} services ({2 * args.services} hosts × {args.metrics} "
        f"metrics), {len(months)} months from {months[0]:%Y-%m}: {every_hour:,} hourly "
        "utilisation rows written in all without retention")
    with tempfile.TemporaryDirectory() as tmp, ledger_url(args.postgres) as url:
        folder = Path(tmp)
        config, store = build(args.services, folder, url)
        history, longest_day = History(config, store, args.metrics), Longest(store)
        sql = SqlClock(store)
        t0 = time.perf_counter()
        for month in months[-12:]:
            history.month(month)
        say(f"  new ledger (the 12 months the reports read, written in "
            f"{(time.perf_counter() - t0) / 60:.0f} min): "
            f"{count(store, 'utilisation_hourly'):,} hourly rows, "
            f"{size_of(store, full=False) / 2**30:.1f} GiB")
        fresh = readings(config, store, sql, folder / "out")
        say(reads("new ledger", fresh, fresh) + sql.costliest(args.statements))
        for month in reversed(months[-14:-12]):
            history.month(month)
        hourly, size = count(store, "utilisation_hourly"), size_of(store, full=False)
        say(f"  largest ledger (14 months of hourly rows): {hourly:,} hourly rows, "
            f"{size / 2**30:.1f} GiB ({size / hourly:.0f} bytes per hourly row; "
            f"{args.years} years without retention: "
            f"~{size / hourly * every_hour / 2**30:.0f} GiB)")
        say(reads("largest ledger", readings(config, store, sql, folder / "out"), fresh)
            + sql.costliest(args.statements))
        while True:
            t0 = time.perf_counter()
            with LOCK.open("w") as lock:
                fcntl.flock(lock, fcntl.LOCK_SH)
                done = retention.run(config, store, NOW, months=1)
            if not done:
                break
            say(f"  retention of {done[0].month}: {done[0].hourly_rows:,} hourly rows in "
                f"{time.perf_counter() - t0:.0f} s, the longest day's transaction "
                f"{longest_day.take():.1f} s")
        for month in months[:-14]:
            history.rolled_up(month)
        say(f"  {args.years} years, as retention leaves them: "
            f"{count(store, 'utilisation_hourly'):,} hourly rows, "
            f"{count(store, 'utilisation_daily'):,} daily, {count(store, 'outages'):,} "
            f"outages, {count(store, 'maintenance_windows'):,} maintenance windows, "
            f"{count(store, 'transitions'):,} state changes, "
            f"{size_of(store, full=False) / 2**30:.1f} GiB")
        say(reads(f"{args.years} years", readings(config, store, sql, folder / "out"), fresh)
            + sql.costliest(args.statements))


def add_months(start: datetime, n: int) -> datetime:
    index = start.year * 12 + start.month - 1 + n
    return start.replace(year=index // 12, month=index % 12 + 1)


def say(line: str) -> None:
    print(line, flush=True)  # as measured: a run stopped halfway has told what it found


def reads(label: str, got: tuple[Reading, Reading, Reading],
          new: tuple[Reading, Reading, Reading]) -> str:
    parts = [f"{what} {r.median * 1000:,.1f} ms ({r.median / n.median - 1:+.0%}; fastest "
             f"{r.fastest * 1000:,.1f}; SQL {r.sql * 1000:,.1f})"
             for what, r, n in zip(
                 ("availability", "Formulir F inputs", "month-end (no PDF)"), got, new,
                 strict=True)]
    verdict = "" if got is new else (
        "  ok" if all(r.median <= n.median * 1.2 for r, n in zip(got, new, strict=True))
        else "  over 20 %")
    return f"  {label}: " + ", ".join(parts) + verdict


class Longest:
    """The longest day `retention` rolled up since last asked: how long it held the ledger's
    write lock (SQLite has one writer)."""

    def __init__(self, store: Store) -> None:
        self.most = 0.0
        self.roll_up_day = store.roll_up_day

        def day(moment: datetime) -> tuple[int, int]:
            t0 = time.perf_counter()
            try:
                return self.roll_up_day(moment)
            finally:
                self.most = max(self.most, time.perf_counter() - t0)

        store.roll_up_day = day  # type: ignore[method-assign,assignment]

    def take(self) -> float:
        most, self.most = self.most, 0.0
        return most


@contextmanager
def ledger_url(postgres: bool) -> Iterator[str | None]:
    if not postgres:
        yield None
        return
    bindir = pg_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL is not installed (apt-get install postgresql)")
    with postgres_cluster(bindir) as server:
        yield create_database(server, "growth")


if __name__ == "__main__":
    main()

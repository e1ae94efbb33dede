"""Does a month cost more to read from a ledger of years than from a new one? The bundled
reports bench's agency (services with two host components each, a year of outages, the
month's hourly utilisation), timed on its own; then three years of history are lived
before it, a month at a time, as the daemon would: component state changes every few hours,
hourly utilisation of 15 metrics per host (the issue's agency: 500 hosts, ~200 million
hourly rows in three years), and the nightly retention job (`retention.hourly`, 395 days)
after each month. Timed again just before retention first has work (the ledger at its
largest, ~14 months of hourly rows) and at the end (three years, retention done).

Timed: the month's availability figures (`spbe availability`), Formulir F's inputs
(everything the form reads from the ledger; rendering the PDF does not depend on the
ledger's age and is left out) and the month-end run without its PDFs (Formulir F of every
service built and written as JSON and HTML). Medians of 5 (3 for the month-end run). Goal:
within 20 %. Also: the ledger's size, retention's time per month, and what three years
without retention would take (bytes per hourly row × rows: at this scale that ledger does
not fit on this machine's disk).

Two runs at once (SQLite and `--postgres`) take turns for their timed reads (a lock file),
so neither is timed while the other writes.

    .venv/bin/python -m bench.ledger_growth [--services 250] [--metrics 15] [--years 3]
        [--postgres]
"""

from __future__ import annotations

import argparse
import fcntl
import gc
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text

from bench.reports import MONTH, YEAR, build
from spbe_monitor import retention
from spbe_monitor.config.loader import Config
from spbe_monitor.ledger.retention import month_start, next_month
from spbe_monitor.ledger.sizes import table_sizes
from spbe_monitor.ledger.store import Store
from spbe_monitor.ledger.tables import metadata, transitions
from spbe_monitor.monthly import figures_for_month
from spbe_monitor.reports.inputs import collect
from spbe_monitor.reports.jobs import formulir_f_reports
from tests.pg import create_database, pg_bindir, postgres_cluster

METRICS = ["cpu_percent", "memory_percent", "disk_used_percent", "load1", "net_rx_bytes"]


def timed(fn: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        gc.collect()  # a collection of the previous run's garbage is not this run's cost
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


NOW = datetime(YEAR, MONTH + 1, 2, tzinfo=UTC)
LOCK = Path(tempfile.gettempdir()) / "spbe-bench-ledger-growth.lock"


def readings(config: Config, store: Store, out: Path) -> tuple[float, float, float]:
    ids = list(config.services)
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return (timed(lambda: figures_for_month(config, store, YEAR, MONTH, ids, NOW)),
                timed(lambda: collect(config, store, YEAR, MONTH, ids, NOW)),
                timed(lambda: formulir_f_reports(config, store, YEAR, MONTH, ids,
                                                 ("json", "html"), out, NOW), runs=3))


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
        self.rng = random.Random(11)
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
        self.day_sql = text(
            "WITH c(probe_id) AS (VALUES " + ", ".join(f"('{p}')" for p in self.components)
            + "), m(metric) AS (VALUES " + ", ".join(f"('{n}')" for n in names) + "), "
            + hours + " INSERT INTO utilisation_hourly (probe_id, metric, hour, samples, avg, "
            "max, max_at, p95) SELECT probe_id, metric, hour, 120, v, v + 5, hour, v + 3 FROM "
            f"(SELECT probe_id, metric, hour, {level} AS v FROM h, c, m) g "
            "ORDER BY hour, probe_id, metric")

    def month(self, lo: datetime) -> None:
        """One calendar month: state changes, then a day of utilisation per statement."""
        hi = next_month(lo)
        with self.store.engine.begin() as conn:
            rows = []
            for pid in self.components:
                at = lo + timedelta(hours=self.rng.uniform(0, 12))
                while at < hi:
                    rows.append(dict(subject_type="component", subject_id=pid, at=at,
                                     old="up", new=self.rng.choice(["up", "down", "degraded"]),
                                     message="grown"))
                    at += timedelta(hours=self.rng.uniform(1, 12))
            conn.execute(insert(transitions), rows)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--services", type=int, default=250,
                        help="two host components each (default: 500 hosts)")
    parser.add_argument("--metrics", type=int, default=15, help="per host")
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--postgres", action="store_true",
                        help="on a throwaway PostgreSQL (Debian's) instead of SQLite")
    args = parser.parse_args()
    kind = "PostgreSQL" if args.postgres else "SQLite"
    # clear of the measured month and the one before, which Formulir F reads too: every
    # ledger holds the same rows for what is measured
    stop = month_start(datetime(YEAR, MONTH, 1, tzinfo=UTC) - timedelta(days=1))
    first = stop.replace(year=stop.year - args.years)
    every_hour = 2 * args.services * args.metrics * int((stop - first).total_seconds() // 3600)
    say(f"{kind}: {args.services} services ({2 * args.services} hosts × {args.metrics} "
        f"metrics), {months_between(first, stop)} months from {first:%Y-%m}: "
        f"{every_hour:,} hourly utilisation rows in all")
    with tempfile.TemporaryDirectory() as tmp, ledger_url(args.postgres) as url:
        folder = Path(tmp)
        config, store = build(args.services, folder, url)
        history = History(config, store, args.metrics)
        fresh = readings(config, store, folder / "out")
        say(reads("new ledger", fresh, fresh))
        peaked, grown, longest_day = False, 0.0, Longest(store)
        month = first
        while month < stop:
            t0 = time.perf_counter()
            history.month(month)
            grown += time.perf_counter() - t0
            month = next_month(month)
            print(f"  … {kind} {month:%Y-%m}", file=sys.stderr, flush=True)
            night = month + timedelta(hours=2, minutes=30)
            if not peaked and retention.plan(config, store, night).months:
                peaked, hourly, size = True, count(store, "utilisation_hourly"), size_of(
                    store, full=False)
                say(f"  largest ledger ({months_between(first, month)} months lived, "
                    f"{grown / 60:.0f} min of writing): {hourly:,} hourly rows, "
                    f"{size / 2**30:.1f} GiB ({size / hourly:.0f} bytes per hourly row; "
                    f"{args.years} years without retention: "
                    f"~{size / hourly * every_hour / 2**30:.0f} GiB)")
                say(reads("largest ledger", readings(config, store, folder / "out"), fresh))
            t0 = time.perf_counter()
            with LOCK.open("w") as lock:
                fcntl.flock(lock, fcntl.LOCK_SH)
                done = retention.run(config, store, night)
            if done:
                say(f"  nightly retention {night:%Y-%m-%d}: {', '.join(d.month for d in done)} "
                    f"in {time.perf_counter() - t0:.0f} s, longest day (one transaction) "
                    f"{longest_day.take():.1f} s")
        retention.run(config, store, NOW)
        say(f"  after {months_between(first, stop)} months: "
            f"{count(store, 'utilisation_hourly'):,} hourly rows, "
            f"{count(store, 'utilisation_daily'):,} daily, "
            f"{count(store, 'transitions'):,} state changes, "
            f"{size_of(store, full=False) / 2**30:.1f} GiB")
        say(reads(f"{args.years} years", readings(config, store, folder / "out"), fresh))


def say(line: str) -> None:
    print(line, flush=True)  # as measured: a run stopped halfway has told what it found


def reads(label: str, got: tuple[float, float, float], new: tuple[float, float, float]
          ) -> str:
    parts = [f"{what} {v * 1000:,.1f} ms ({v / n - 1:+.0%})" for what, v, n in zip(
        ("availability", "Formulir F inputs", "month-end (no PDF)"), got, new, strict=True)]
    verdict = "" if got is new else (
        "  ok" if all(v <= n * 1.2 for v, n in zip(got, new, strict=True)) else "  over 20 %")
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


def months_between(lo: datetime, hi: datetime) -> int:
    return (hi.year - lo.year) * 12 + hi.month - lo.month


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

"""Does a month cost more to read from a ledger of years than from a new one? The bundled
reports bench's agency (services with two host components each, a year of outages, the
month's hourly utilisation), timed on its own, then again after years of history are
added before it: component state changes every few hours and hourly utilisation of five
metrics per component. Timed: the month's availability figures (`spbe availability`) and
Formulir F's inputs (everything the form reads from the ledger; rendering the PDF does not
depend on the ledger's age and is left out), and the month-end run without its PDFs
(Formulir F of every service built and written as JSON and HTML). Medians of 5 (3 for the
month-end run). Goal: within 20 %. Then retention (`retention.hourly`, 395 days) and the
same again: the ledger's size before and after (after VACUUM), and the reads.

    .venv/bin/python -m bench.ledger_growth [--services 100] [--years 3] [--postgres]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from bench.reports import MONTH, YEAR, build
from spbe_monitor import retention
from spbe_monitor.config.loader import Config
from spbe_monitor.ledger.sizes import table_sizes
from spbe_monitor.ledger.store import Store
from spbe_monitor.ledger.tables import metadata, transitions, utilisation_hourly
from spbe_monitor.monthly import figures_for_month
from spbe_monitor.reports.inputs import collect
from spbe_monitor.reports.jobs import formulir_f_reports
from tests.pg import create_database, pg_bindir, postgres_cluster

METRICS = ["cpu_percent", "memory_percent", "disk_used_percent", "load1", "net_rx_bytes"]


def timed(fn: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


NOW = datetime(YEAR, MONTH + 1, 2, tzinfo=UTC)


def readings(config: Config, store: Store, out: Path) -> tuple[float, float, float]:
    ids = list(config.services)
    return (timed(lambda: figures_for_month(config, store, YEAR, MONTH, ids, NOW)),
            timed(lambda: collect(config, store, YEAR, MONTH, ids, NOW)),
            timed(lambda: formulir_f_reports(config, store, YEAR, MONTH, ids,
                                             ("json", "html"), out, NOW), runs=3))


def count(store: Store, table: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(
            metadata.tables[table])).scalar_one())


def size_of(store: Store) -> int:
    """Bytes of the ledger, after giving back what deleted rows left behind."""
    raw = store.engine.raw_connection()  # outside any transaction, as VACUUM needs
    try:
        driver = raw.driver_connection
        assert driver is not None
        if store.engine.dialect.name == "postgresql":
            driver.autocommit = True
            driver.execute("VACUUM (FULL, ANALYZE)")  # ANALYZE: what autovacuum keeps up
        else:
            driver.execute("VACUUM")
    finally:
        raw.close()
    return sum(s.bytes or 0 for s in table_sizes(store.engine))


def grow(config: Config, store: Store, years: int) -> None:
    """`years` of history before the measured month, written in batches."""
    rng = random.Random(11)
    end = datetime(YEAR, MONTH, 1, tzinfo=UTC) - timedelta(days=40)  # clear of last month,
    # which Formulir F reads too: both ledgers hold the same rows for what is measured
    start = end - timedelta(days=365 * years)
    components = [pid for svc in config.services.values() for pid in svc.components]
    with store.engine.begin() as conn:
        for pid in components:
            at, rows = start, []
            while at < end:
                at += timedelta(hours=rng.uniform(1, 12))
                rows.append(dict(subject_type="component", subject_id=pid, at=at, old="up",
                                 new=rng.choice(["up", "down", "degraded"]), message="grown"))
            conn.execute(insert(transitions), rows)
            hour = start
            batch = []
            while hour < end:
                for metric in METRICS:
                    level = rng.uniform(10, 90)
                    batch.append(dict(probe_id=pid, metric=metric, hour=hour, samples=120,
                                      avg=level, max=level + 5, max_at=hour, p95=level + 3))
                hour += timedelta(hours=1)
                if len(batch) >= 50_000:
                    conn.execute(insert(utilisation_hourly), batch)
                    batch = []
            if batch:
                conn.execute(insert(utilisation_hourly), batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--services", type=int, default=100)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--postgres", action="store_true",
                        help="on a throwaway PostgreSQL (Debian's) instead of SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ledger_url(args.postgres) as url:
        folder = Path(tmp)
        config, store = build(args.services, folder, url)
        fresh = readings(config, store, folder / "out")
        t0 = time.perf_counter()
        grow(config, store, args.years)
        grown_in = time.perf_counter() - t0
        before = size_of(store)  # the planner's statistics, as autovacuum keeps them
        aged = readings(config, store, folder / "out")
        rows = {t: count(store, t) for t in ("transitions", "utilisation_hourly")}
        t0 = time.perf_counter()
        done = retention.run(config, store, NOW)
        retained_in = time.perf_counter() - t0
        after = size_of(store)
        kept = readings(config, store, folder / "out")
        kind = "PostgreSQL" if args.postgres else "SQLite"
        print(f"{kind}: {args.services} services ({2 * args.services} components), "
              f"{args.years} years added in {grown_in:.0f} s: {rows['transitions']:,} state "
              f"changes, {rows['utilisation_hourly']:,} hourly utilisation rows")
        print(f"  ledger {before / 1_048_576:,.0f} MiB; retention ({len(done)} months, "
              f"{retained_in:.0f} s) → {after / 1_048_576:,.0f} MiB")
        for i, what in enumerate(("availability figures", "Formulir F inputs",
                                  "month-end (no PDF)")):
            a, b, c = fresh[i], aged[i], kept[i]
            verdict = "ok" if max(b, c) <= a * 1.2 else "over 20 %"
            print(f"  {what:<22} new {a * 1000:7.1f} ms   aged {b * 1000:7.1f} ms "
                  f"({b / a - 1:+.0%})   after retention {c * 1000:7.1f} ms ({c / a - 1:+.0%})"
                  f"  {verdict}")


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

"""Seconds to compute every monthly figure for 1,000 services × 12 months × 50 outages each,
with weekly maintenance. Prints (1) the pure formula over in-memory rows and (2) the whole
path from a SQLite ledger (query + formula), as `spbe availability` runs it.

    .venv/bin/python -m bench.availability [--services N] [--skip-ledger]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from spbe_monitor.availability import calendar, recurrence
from spbe_monitor.availability.calendar import commitment, month_bounds, parse_operating_hours
from spbe_monitor.availability.formula import Window, monthly
from spbe_monitor.availability.intervals import Interval
from spbe_monitor.config.loader import Config
from spbe_monitor.config.models import Service, Settings
from spbe_monitor.ledger import db
from spbe_monitor.ledger.store import Store
from spbe_monitor.ledger.tables import maintenance_services, maintenance_windows, outages
from spbe_monitor.monthly import figures_for_month

YEAR = 2025
KINDS: list[tuple[str, str | dict[str, str]]] = [
    ("Asia/Jakarta", "24x7"),
    ("Asia/Makassar", {"mon-fri": "07:30-16:00"}),
    ("Asia/Jayapura", {"mon-thu": "07:30-16:00", "fri": "07:30-16:30"}),
]


def make_rows(n_services: int, rng: random.Random) -> tuple[
        dict[tuple[str, int], list[Interval]], dict[str, Window]]:
    """Outages per (service, month), as the ledger query returns them, and one weekly window."""
    down: dict[tuple[str, int], list[Interval]] = {}
    windows: dict[str, Window] = {}
    for i in range(n_services):
        sid = f"svc-{i:04d}"
        zone = KINDS[i % 3][0]
        for month in range(1, 13):
            lo, hi = month_bounds(YEAR, month, ZoneInfo(zone))
            starts = [rng.randrange(lo, hi - 7200) for _ in range(50)]
            down[sid, month] = [(s, s + rng.randrange(60, 7200)) for s in starts]
        first = int(datetime(YEAR, 1, 5, 1, tzinfo=ZoneInfo(zone)).timestamp())  # a Sunday
        windows[sid] = Window(first, first + 7200, "FREQ=WEEKLY;BYDAY=SU", zone,
                              registered_at=first - 86400, approved=False)
    return down, windows


def bench_pure(n_services: int) -> float:
    down, windows = make_rows(n_services, random.Random(1))
    weeks = [(zone, parse_operating_hours(h)) for zone, h in KINDS]
    calendar.forget()
    recurrence._rule.cache_clear()
    recurrence._starts.cache_clear()
    started = time.perf_counter()
    for i, sid in enumerate(windows):
        zone, week = weeks[i % 3]
        for month in range(1, 13):
            lo, hi = month_bounds(YEAR, month, ZoneInfo(zone))
            monthly(commitment(week, zone, YEAR, month), down[sid, month], [windows[sid]],
                    [(lo, hi)], lo, hi)
    return time.perf_counter() - started


def bench_ledger(n_services: int) -> tuple[float, float]:
    down, windows = make_rows(n_services, random.Random(1))
    with tempfile.TemporaryDirectory() as tmp:
        engine = db.make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        db.upgrade(engine)
        now = datetime(YEAR + 1, 1, 1, tzinfo=UTC)
        loaded = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(insert(outages), [
                dict(service_id=sid, start_at=datetime.fromtimestamp(s, UTC),
                     end_at=datetime.fromtimestamp(e, UTC), impact="mayor", priority="P1",
                     source="probe", closed_unobserved=False, created_at=now)
                for (sid, _), rows in down.items() for s, e in rows])
            for sid, w in windows.items():
                wid = conn.execute(insert(maintenance_windows).values(
                    start_at=datetime.fromtimestamp(w.start, UTC),
                    end_at=datetime.fromtimestamp(w.end, UTC), rrule=w.rrule, timezone=w.zone,
                    reason="patch", registered_at=datetime.fromtimestamp(w.registered_at, UTC),
                    registered_by="bench")).inserted_primary_key
                assert wid is not None
                conn.execute(insert(maintenance_services).values(window_id=wid[0],
                                                                 service_id=sid))
        load_s = time.perf_counter() - loaded
        store = Store(engine)
        store.open_session("bench", datetime(YEAR - 1, 12, 1, tzinfo=UTC))
        store.beat(1, now)
        services = {}
        for i, sid in enumerate(windows):
            zone, hours = KINDS[i % 3]
            services[sid] = Service.model_validate(dict(
                id=sid, name=sid, provider="p", technical_team="t", nature="publik",
                application_basis="khusus", user_scope="regional", availability_target=99,
                operating_hours=hours, timezone=zone, classification="esensial",
                unmonitored="available",
                holidays="none" if hours == "24x7" else "nasional+cuti_bersama"))
        config = Config(path=Path("bench"), settings=Settings(), services=services, people={},
                        database_url="", probes_dir=Path(), playbooks_dir=Path(), warnings=())
        calendar.forget()
        recurrence._rule.cache_clear()
        recurrence._starts.cache_clear()
        started = time.perf_counter()
        for month in range(1, 13):
            figures_for_month(config, store, YEAR, month, list(services), now)
        return load_s, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--skip-ledger", action="store_true")
    args = parser.parse_args()
    n = args.services
    figures = n * 12
    pure = bench_pure(n)
    print(f"services={n} months=12 outages/service-month=50 maintenance=weekly")
    print(f"pure formula:  {pure:.3f} s for {figures} monthly figures "
          f"({1e6 * pure / figures:.0f} µs each)   goal < 2 s")
    if not args.skip_ledger:
        load_s, total = bench_ledger(n)
        print(f"from ledger:   {total:.3f} s for {figures} monthly figures, SQLite, "
              f"{n * 600} outage rows (loaded in {load_s:.1f} s, not counted)")


if __name__ == "__main__":
    main()

"""Milliseconds to build Ringkasan (the Konsol's overview: this month's figure, the open
outage and twelve past months per service) for one person answering for N services, on a
SQLite ledger with 20 outages per service-month. Prints the first load (every past month
computed), then p50/p95 of the loads after it (past months kept while the evidence is
unchanged: konsol/past_months.py), of loads that each follow this month's churn (an outage
opened and closed, a login: kept), and of loads after a late downtime in a past month
(recomputed).

    .venv/bin/python -m bench.ringkasan [--services 100] [--loads 50]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from spbe_monitor.clock import Clock
from spbe_monitor.config.loader import Config
from spbe_monitor.config.models import Person, Service, Settings
from spbe_monitor.konsol.views import overview
from spbe_monitor.ledger import db
from spbe_monitor.ledger.store import Store
from spbe_monitor.ledger.tables import outages
from spbe_monitor.monitor.engine import Monitor

NOW = datetime(2026, 12, 20, 3, tzinfo=UTC)
NIP = "199002102015032005"


@dataclass
class Fixed(Clock):
    at: datetime

    def now(self) -> datetime:
        return self.at

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        raise NotImplementedError


@dataclass
class Host:
    config: Config
    store: Store
    clock: Clock
    monitor: Monitor

    def drive_run(self, run_id: int) -> None:
        raise NotImplementedError


def ledger(folder: Path, ids: list[str]) -> Store:
    rng = random.Random(1)
    engine = db.make_engine(f"sqlite:///{folder / 'bench.db'}")
    db.upgrade(engine)
    first = NOW - timedelta(days=400)
    rows = []
    for sid in ids:
        for _ in range(20 * 13):
            start = first + timedelta(seconds=rng.randrange(int((NOW - first).total_seconds())
                                                            - 7200))
            rows.append(dict(service_id=sid, start_at=start,
                             end_at=start + timedelta(seconds=rng.randrange(60, 7200)),
                             impact="mayor", priority="P1", source="probe",
                             closed_unobserved=False, created_at=NOW))
    with engine.begin() as conn:
        conn.execute(insert(outages), rows)
    store = Store(engine)
    session = store.open_session("bench", first)
    store.beat(session, NOW)
    return store


def p(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * q))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=100)
    parser.add_argument("--loads", type=int, default=50)
    args = parser.parse_args()
    ids = [f"svc-{i:03d}" for i in range(args.services)]
    services = {sid: Service.model_validate(dict(
        id=sid, name=f"Layanan {sid}", provider="p", technical_team="t", nature="publik",
        application_basis="khusus", user_scope="regional", availability_target=99,
        operating_hours="24x7", timezone="Asia/Jakarta", classification="esensial",
        unmonitored="available", holidays="none")) for sid in ids}
    person = Person(nip=NIP, name="Bench", position="Pranata Komputer", services=ids)
    with tempfile.TemporaryDirectory() as tmp:
        store = ledger(Path(tmp), ids)
        config = Config(path=Path(tmp) / "spbe.yaml", settings=Settings(), services=services,
                        people={NIP: person}, database_url="", probes_dir=Path(),
                        playbooks_dir=Path(), warnings=())
        clock = Fixed(NOW)
        host = Host(config, store, clock, Monitor(config, lambda _: None, clock))

        def load() -> float:
            started = time.perf_counter()
            page = overview(host, person)
            assert len(page["layanan"]) == args.services
            return 1000 * (time.perf_counter() - started)

        cold = load()
        warm = [load() for _ in range(args.loads)]
        churn = []  # this month's outages opening and closing: past months stay
        for i in range(args.loads):
            sid, start = ids[i % len(ids)], NOW - timedelta(minutes=i + 10)
            store.open_outage(sid, start, "mayor", "P1", (start, start), "", start)
            store.close_outage(sid, start + timedelta(seconds=30))
            store.record_act(NOW, NIP, "konsol.login", "konsol")
            churn.append(load())
        moved = []  # a downtime of a past month entered late: recomputed
        for i in range(max(5, args.loads // 5)):
            late = NOW - timedelta(days=40 + i)
            store.add_manual_outage(ids[i], late, late + timedelta(hours=1), "mayor", "P1",
                                    "dilaporkan", NIP, NOW)
            moved.append(load())
    print(f"services={args.services} outages/service-month=20 months=13 (SQLite)")
    print(f"first load:                 {cold:.0f} ms")
    print(f"later loads (n={len(warm)}):       p50 {statistics.median(warm):.0f} ms, "
          f"p95 {p(warm, 0.95):.0f} ms   goal p95 < 200 ms")
    print(f"after this month's outage + a login (n={len(churn)}): "
          f"p50 {statistics.median(churn):.0f} ms, p95 {p(churn, 0.95):.0f} ms")
    print(f"after a late downtime in a past month (n={len(moved)}): "
          f"p50 {statistics.median(moved):.0f} ms, p95 {p(moved, 0.95):.0f} ms")


if __name__ == "__main__":
    main()

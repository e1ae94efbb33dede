"""Build a demonstration ledger for the bundled example services (October 2026: outages with
a recurring cause, a late and an approved maintenance window, monitor heartbeats, a filling
disk) and render Formulir F from it. Deterministic: the same files every time.

    .venv/bin/python scripts/example_report.py OUT_DIR [--service ID]
"""

from __future__ import annotations

import argparse
import random
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from spbe_monitor.config.loader import load_config
from spbe_monitor.ledger import db
from spbe_monitor.ledger.store import Store, UtilisationHour
from spbe_monitor.reports.jobs import formulir_f_reports

ROOT = Path(__file__).resolve().parent.parent
MONTH = datetime(2026, 10, 1, tzinfo=UTC) - timedelta(hours=7)  # 1 Oct 00:00 WIB
TEKNIS = "199002102015032005"
PENYEDIA = "197001011995031001"


def demo_ledger(store: Store) -> None:
    rng = random.Random(49)
    filed = MONTH + timedelta(days=40)
    for day, hours, cause in ((3, 5, "Server aplikasi hang"), (11, 3, "Server aplikasi hang"),
                              (19, 4, "Server aplikasi hang"), (24, 2, "Koneksi ISP putus")):
        start = MONTH + timedelta(days=day - 1, hours=9)
        store.add_manual_outage("perizinan-online", start, start + timedelta(hours=hours),
                                "mayor", "P1", cause, TEKNIS, filed)
    start = MONTH + timedelta(days=13, hours=1)  # 14 Oct 01:00 WIB, inside maintenance
    store.add_manual_outage("perizinan-online", start, start + timedelta(hours=3), "mayor",
                            "P1", "Pembaruan basis data", TEKNIS, filed)
    store.add_maintenance(["perizinan-online"], start, start + timedelta(hours=2), None,
                          "Asia/Jakarta", "Pembaruan basis data", TEKNIS,
                          start - timedelta(days=3))
    late = MONTH + timedelta(days=27, hours=22)
    wid = store.add_maintenance(["perizinan-online"], late, late + timedelta(hours=1), None,
                                "Asia/Jakarta", "Penggantian UPS darurat", TEKNIS,
                                late + timedelta(minutes=20))
    store.approve_maintenance(wid, ["perizinan-online"], PENYEDIA, late + timedelta(days=1))
    session = store.open_session("demo", MONTH - timedelta(days=1))
    store.beat(session, MONTH + timedelta(days=31))
    rows, hour = [], MONTH
    for i in range(31 * 24):
        disk = 70 + i * 0.03 + rng.uniform(-0.2, 0.2)
        rows.append(UtilisationHour("ledger-disk", "disk_used_percent", hour, 120, disk,
                                    disk + 0.4, hour + timedelta(minutes=rng.randrange(60)),
                                    disk + 0.3))
        hour += timedelta(hours=1)
    store.merge_utilisation(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("out", type=Path)
    parser.add_argument("--service", default="perizinan-online")
    args = parser.parse_args()
    config = load_config(ROOT / "config" / "spbe.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        engine = db.make_engine(f"sqlite:///{tmp}/demo.db")
        db.upgrade(engine)
        store = Store(engine)
        demo_ledger(store)
        filed = formulir_f_reports(config, store, 2026, 10, [args.service],
                                   ("html", "pdf", "json"), args.out,
                                   datetime(2026, 11, 28, tzinfo=UTC))
        for w in filed[args.service]:
            print(w.path)
        engine.dispose()


if __name__ == "__main__":
    main()

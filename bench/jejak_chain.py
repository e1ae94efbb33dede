"""What the Jejak Audit page spends on the chain's state: the full verification (the whole
chain, checkpoint signatures, every evidence row: once an hour) against the tail check of
every other page load, on a SQLite ledger of N audit entries.

    .venv/bin/python -m bench.jejak_chain [--entries 100000] [--tail 20]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from spbe_monitor.config.loader import load_config
from spbe_monitor.konsol.jejak import ChainWatch
from spbe_monitor.ledger import db
from spbe_monitor.ledger.audit import audit_in
from spbe_monitor.ledger.store import Store

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 11, 28, 3, tzinfo=UTC)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--tail", type=int, default=20, help="entries written between loads")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "config"
        shutil.copytree(ROOT / "config", cfg)
        for folder in ("probes", "drp_playbooks"):
            shutil.copytree(ROOT / folder, Path(tmp) / folder)
        (Path(tmp) / "var").mkdir()
        config = load_config(cfg / "spbe.yaml")
        engine = db.make_engine(config.database_url)
        db.upgrade(engine)
        store = Store(engine)
        with engine.begin() as conn:
            for n in range(args.entries):
                audit_in(conn, T0, "199002102015032005", "bench.act", f"n:{n}")
        watch = ChainWatch()
        started = time.perf_counter()
        watch.state(config, store, T0)
        full = time.perf_counter() - started
        tails = []
        for load in range(1, 11):
            for n in range(args.tail):
                store.record_act(T0, "199002102015032005", "bench.act", f"tail:{load}:{n}")
            started = time.perf_counter()
            intact, _ = watch.state(config, store, T0 + timedelta(minutes=load))
            tails.append(time.perf_counter() - started)
            assert intact
        print(f"{args.entries:,} entries: full verification {full * 1000:,.0f} ms; "
              f"a page load with {args.tail} new entries {statistics.median(tails) * 1000:.1f} "
              f"ms (median of 10)")
        engine.dispose()


if __name__ == "__main__":
    main()

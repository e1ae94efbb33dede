"""`spbe audit verify` on a long ledger: the chain, checkpoint signatures, evidence rows and
the witness file, on SQLite ledgers of N audit entries (a checkpoint, witnessed, every 1,000
entries, as a busy daemon's minute would make). Verification runs in a fresh process so its
peak memory (max RSS) is its own: flat across N means it streams.

    .venv/bin/python -m bench.audit_verify [--entries 100000 1000000]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from spbe_monitor.config.loader import load_config
from spbe_monitor.ledger import db
from spbe_monitor.ledger.audit import audit_in
from spbe_monitor.ledger.checkpoints import Signer

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 1, 1, tzinfo=UTC)
EVERY = 1000

CHILD = """
import resource, sys, time
from spbe_monitor.config.loader import load_config
from spbe_monitor.ledger import db
from spbe_monitor.ledger.checkpoints import load_public, trusted_keys
from spbe_monitor.ledger.store import Store
from spbe_monitor.ledger.verify import verify, witness_files
config = load_config(__import__("pathlib").Path(sys.argv[1]))
store = Store(db.make_engine(config.database_url))
started = time.perf_counter()
keys = [load_public(f) for f in trusted_keys(config.audit_key_path)]
verdict = verify(store, keys, witness_files(config.audit_key_path))
took = time.perf_counter() - started
assert not verdict.problems, verdict.problems[:3]
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{verdict.entries} {took:.2f} {rss:.0f} {verdict.witnesses[0].checkpoints}")
"""


def build(tmp: Path, entries: int) -> Path:
    cfg = tmp / "config"
    shutil.copytree(ROOT / "config", cfg)
    for folder in ("probes", "drp_playbooks"):
        shutil.copytree(ROOT / folder, tmp / folder)
    (tmp / "var").mkdir()
    config = load_config(cfg / "spbe.yaml")
    engine = db.make_engine(config.database_url)
    db.upgrade(engine)
    signer = Signer.load_or_create(config.audit_key_path)
    for start in range(0, entries, EVERY):
        at = T0 + timedelta(seconds=start // 10)
        with engine.begin() as conn:
            for n in range(start, min(start + EVERY, entries)):
                audit_in(conn, at, "199002102015032005", "bench.act", f"n:{n}")
        signer.checkpoint(engine, at)
    engine.dispose()
    return cfg / "spbe.yaml"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, nargs="+", default=[100_000, 1_000_000])
    args = ap.parse_args()
    for entries in args.entries:
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            config = build(Path(tmp), entries)
            built = time.perf_counter() - started
            out = subprocess.run([sys.executable, "-c", CHILD, str(config)], check=True,
                                 capture_output=True, text=True).stdout.split()
            count, took, rss, witnessed = int(out[0]), float(out[1]), out[2], out[3]
            ledger = Path(tmp) / "var" / "spbe.db"
            print(f"{count:>9,} entries ({ledger.stat().st_size / 2**20:,.0f} MB ledger, "
                  f"{witnessed} witnessed checkpoints; built in {built:.0f} s): verify "
                  f"{took:.1f} s, {count / took:,.0f} entries/s, peak memory {rss} MB")


if __name__ == "__main__":
    main()

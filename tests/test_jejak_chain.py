"""Jejak Audit verifies incrementally (issue 28, item 5): before, every page load re-read
and re-hashed the whole chain and every evidence row (0.8 s at 11,000 entries). Now the
whole is verified at most hourly; between, only what was written since the last verified
entry, after checking that entry kept its hash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update

from spbe_monitor.config.loader import load_config
from spbe_monitor.konsol.jejak import FULL_EVERY, ChainWatch
from spbe_monitor.ledger.store import Store
from spbe_monitor.ledger.tables import audit_log

T0 = datetime(2026, 11, 28, 3, tzinfo=UTC)


def test_the_tail_is_checked_between_full_verifications(config_dir: Path, store: Store):
    config = load_config(config_dir / "spbe.yaml")
    for n in range(5):
        store.record_act(T0, "199002102015032005", "test.act", f"n:{n}")
    watch = ChainWatch()
    intact, said = watch.state(config, store, T0)
    assert intact and said.startswith("5 entri utuh")
    for n in range(3):
        store.record_act(T0, "199002102015032005", "test.act", f"later:{n}")
    intact, said = watch.state(config, store, T0 + timedelta(minutes=1))
    assert intact and said.startswith("8 entri utuh")
    last = watch.verified
    assert last is not None
    with store.engine.begin() as conn:  # the last verified entry rewritten (and rehashed)
        conn.execute(update(audit_log).where(audit_log.c.id == last[0]).values(
            subject="rewritten", hash="0" * 64))
    intact, said = watch.state(config, store, T0 + timedelta(minutes=2))
    assert not intact and f"audit entry {last[0]} was changed or deleted" in said


def test_an_old_entry_edited_is_found_by_the_next_full_verification(config_dir: Path,
                                                                     store: Store):
    config = load_config(config_dir / "spbe.yaml")
    for n in range(5):
        store.record_act(T0, "199002102015032005", "test.act", f"n:{n}")
    watch = ChainWatch()
    assert watch.state(config, store, T0)[0]
    with store.engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.id == 2).values(subject="edited"))
    # within the hour only the tail is read: the old edit waits for the full verification
    assert watch.state(config, store, T0 + timedelta(minutes=5))[0]
    intact, said = watch.state(config, store, T0 + FULL_EVERY)
    assert not intact and "audit entry 2 was edited after it was written" in said
    # and a problem, once found, is shown on every load until the ledger is whole again
    assert not watch.state(config, store, T0 + FULL_EVERY + timedelta(minutes=1))[0]

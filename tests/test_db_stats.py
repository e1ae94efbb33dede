"""`spbe db stats`: rows and bytes per ledger table, on SQLite and a real PostgreSQL — what
an administrator reads before the ledger's growth is a problem."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from spbe_monitor.config.loader import Config
from spbe_monitor.ledger.records import UtilisationHour
from spbe_monitor.ledger.store import Store
from spbe_monitor.ledger.tables import metadata
from tests.cli_helpers import spbe

HOURS = 24 * 30  # a month of one metric


def test_rows_and_bytes_per_table(configured: tuple[Config, Store],
                                  capsys: pytest.CaptureFixture[str]):
    config, store = configured
    start = datetime(2026, 10, 1, tzinfo=UTC)
    store.merge_utilisation([
        UtilisationHour("web-1", "cpu_percent", start + timedelta(hours=h), 60, 40.0, 90.0,
                        start + timedelta(hours=h, minutes=7), 80.0) for h in range(HOURS)])
    old = datetime(2025, 9, 1, tzinfo=UTC)  # past the retention horizon (395 days)
    store.merge_utilisation([UtilisationHour("web-1", "cpu_percent", old + timedelta(hours=h),
                                             60, 40.0, 90.0, old, 80.0) for h in range(48)])
    if store.engine.dialect.name == "postgresql":
        with store.engine.begin() as conn:
            conn.execute(text("ANALYZE"))  # PostgreSQL's row counts are its statistics
    done = spbe(capsys, "--config", str(config.path), "db", "stats", "--json")
    assert done.code == 0, done.err
    shown = json.loads(done.out)
    assert {k: v for k, v in shown["next_retention"].items() if k != "horizon"} == {
        "months": ["2025-09"], "hourly_rows": 48, "transitions_removed": 0}
    sizes = {row["table"]: row for row in shown["tables"]}
    assert set(sizes) == set(metadata.tables)
    hourly = sizes["utilisation_hourly"]
    assert hourly["rows"] == HOURS + 48 and hourly["bytes"] > 50_000
    assert max(sizes.values(), key=lambda r: r["bytes"])["table"] == "utilisation_hourly"
    assert sizes["outages"]["rows"] == 0
    assert hourly["rows_estimated"] is (store.engine.dialect.name == "postgresql")

    table = spbe(capsys, "--config", str(config.path), "db", "stats")
    assert table.code == 0
    lines = table.out.splitlines()
    assert lines[0].split("\t") == ["Table", "Rows", "Size"]
    assert lines[1].split("\t")[:2] == ["utilisation_hourly", f"{HOURS + 48:,}"]

"""Time a service was judged unknown — its locations fell silent, or it was between cluster
members — is unmonitored, never downtime and never available."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from spbe_monitor.config.loader import load_config
from spbe_monitor.ledger.records import TransitionRow
from spbe_monitor.ledger.store import Store
from spbe_monitor.monthly import figures_for_month

START = datetime(2026, 9, 30, 17, tzinfo=UTC)  # 1 October 2026, 00.00 WIB


def test_unknown_spans_of_a_service_are_unmonitored(config_dir: Path, store: Store):
    config = load_config(config_dir / "spbe.yaml")
    session = store.open_session("h", START - timedelta(days=1))
    store.beat(session, START + timedelta(days=31))
    silent, back = START + timedelta(days=3), START + timedelta(days=3, minutes=45)
    store.record_transitions([
        TransitionRow("service", "perizinan-online", START - timedelta(days=2), "unknown",
                      "up", "ok"),
        TransitionRow("service", "perizinan-online", silent, "up", "unknown",
                      "isp-b silent; pusat handed over"),
        TransitionRow("service", "perizinan-online", back, "unknown", "up", "ok")])
    now = START + timedelta(days=40)
    (month,) = figures_for_month(config, store, 2026, 10, ["perizinan-online"], now)
    assert month.figures.unmonitored_seconds == 45 * 60
    assert month.figures.downtime_seconds == 0
    other = figures_for_month(config, store, 2026, 10, ["persuratan-online"], now)[0]
    assert other.figures.unmonitored_seconds == 0  # only the service that was unknown

"""The store contract, run against SQLite and a real PostgreSQL from one fixture."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event, inspect, text

from spbe_monitor.errors import BadInput, Refused
from spbe_monitor.ledger import db
from spbe_monitor.ledger.store import Store
from spbe_monitor.ledger.tables import metadata
from spbe_monitor.ledger.verify import evidence_problems

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
H = timedelta(hours=1)


def test_schema_is_at_head_and_upgrade_is_idempotent(store: Store):
    assert db.current_revision(store.engine) == db.head_revision() == db.HEAD
    assert db.upgrade(store.engine) is False
    tables = set(inspect(store.engine).get_table_names())
    assert {"outages", "maintenance_windows", "heartbeats", "audit_log"} <= tables


def test_the_migrations_build_the_schema_the_code_declares(store: Store):
    """Every table, column and index in `tables.py` made by a migration (an index only
    declared there would exist in tests' fresh ledgers and nowhere upgraded)."""
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_manual_outage_round_trips_in_utc_and_is_audited(store: Store):
    wib = datetime(2026, 11, 2, 8, 0, tzinfo=ZoneInfo("Asia/Jakarta"))  # == T0
    oid = store.add_manual_outage("svc", wib, T0 + H, "mayor", "P1", "Listrik padam", "nip1",
                                  T0 + 2 * H)
    [o] = store.outages(["svc"])
    assert (o.id, o.start_at, o.end_at, o.source, o.entered_by) == (oid, T0, T0 + H, "manual",
                                                                    "nip1")
    assert o.start_at.tzinfo is UTC
    [entry] = store.audit_entries(f"outage:{oid}")
    assert (entry.actor, entry.action, entry.outcome) == ("nip1", "downtime.add", "done")
    assert entry.after is not None and entry.after["cause"] == "Listrik padam"


def test_outage_window_query_includes_overlaps_and_open_outages(store: Store):
    store.add_manual_outage("a", T0, T0 + H, "mayor", "P1", "x", "n", T0 + 3 * H)
    store.add_manual_outage("a", T0 + 5 * H, T0 + 6 * H, "mayor", "P1", "y", "n", T0 + 7 * H)
    store.add_manual_outage("b", T0, T0 + H, "mayor", "P1", "z", "n", T0 + 3 * H)
    got = store.outages(["a"], T0 + timedelta(minutes=30), T0 + 5 * H)
    assert [o.cause for o in got] == ["x"]
    assert len(store.outages(None, T0, T0 + 10 * H)) == 3


def test_annotate_keeps_before_and_after(store: Store):
    oid = store.add_manual_outage("a", T0, T0 + H, "mayor", "P1", "unknown", "n", T0 + 2 * H)
    store.annotate_outage(oid, "UPS rusak", "nip2", T0 + 3 * H)
    assert store.outages()[0].cause == "UPS rusak"
    entry = store.audit_entries(f"outage:{oid}")[-1]
    assert (entry.action, entry.before, entry.after) == (
        "downtime.annotate", {"cause": "unknown"}, {"cause": "UPS rusak"})
    with pytest.raises(BadInput, match="no outage with id 999"):
        store.annotate_outage(999, "x", "n", T0)


def test_maintenance_lifecycle(store: Store):
    wid = store.add_maintenance(["a", "b"], T0, T0 + 2 * H, "FREQ=WEEKLY", "Asia/Jakarta",
                                "Patch", "nip1", T0 + H, late_reason="notice")
    w = store.window(wid)
    assert w.services == ("a", "b") and w.registered_late and w.rrule == "FREQ=WEEKLY"
    assert w.late_reason == "notice"
    store.approve_maintenance(wid, ["a"], "boss", T0 + 2 * H)
    store.approve_maintenance(wid, ["a", "b"], "boss", T0 + 3 * H)
    w = store.window(wid)
    assert w.approved_for("a") and w.approved_for("b")
    assert [a.approved_at for a in sorted(w.approvals, key=lambda a: a.service_id)] == [
        T0 + 2 * H, T0 + 3 * H]
    assert store.maintenance(["b"])[0].id == wid and store.maintenance(["c"]) == []
    store.cancel_maintenance(wid, "nip1", T0 + 4 * H)
    with pytest.raises(BadInput, match="already cancelled"):
        store.cancel_maintenance(wid, "nip1", T0 + 5 * H)
    with pytest.raises(Refused, match="cancelled"):
        store.approve_maintenance(wid, ["a"], "boss", T0 + 5 * H)
    assert store.maintenance(include_cancelled=False) == []
    actions = [e.action for e in store.audit_entries(f"maintenance:{wid}")]
    assert actions == ["maintenance.add", "maintenance.approve", "maintenance.approve",
                       "maintenance.cancel"]


def test_windows_during_a_span_are_those_overlapping_it_or_recurring(store: Store):
    """A month reads its own windows (years of them would otherwise be read for every
    figure); a recurring one registered long before may still fall in it."""
    day = 24 * H
    old = store.add_maintenance(["a"], T0 - 60 * day, T0 - 59 * day, None, "UTC", "lama",
                                "n", T0 - 90 * day)
    weekly = store.add_maintenance(["a"], T0 - 60 * day, T0 - 60 * day + H, "FREQ=WEEKLY",
                                   "UTC", "mingguan", "n", T0 - 90 * day)
    edge = store.add_maintenance(["a", "b"], T0 - H, T0 + H, None, "UTC", "tepi", "n",
                                 T0 - 9 * day)
    inside = store.add_maintenance(["b"], T0 + 2 * H, T0 + 3 * H, None, "UTC", "di dalam",
                                   "n", T0 - 9 * day)
    store.add_maintenance(["a"], T0 + day, T0 + day + H, None, "UTC", "sesudah", "n", T0)
    store.approve_maintenance(edge, ["b"], "boss", T0 - 8 * day)
    month = (T0, T0 + day)  # [lo, hi): a window ending at lo or starting at hi is outside
    assert [w.id for w in store.maintenance(during=month)] == [weekly, edge, inside]
    got = store.maintenance(["a"], during=month)
    assert [(w.id, w.services) for w in got] == [(weekly, ("a",)), (edge, ("a", "b"))]
    assert [a.approved_by for a in got[1].approvals] == ["boss"]  # all of it, not a's share
    assert old in [w.id for w in store.maintenance(["a"])]  # without `during`: every one


def test_a_months_windows_and_outages_are_read_by_index_not_by_scan(tmp_path: Path):
    """Years of evidence must not slow a month's read: SQLite, which keeps no statistics,
    is asked in a form it answers from the indexes (its plans are deterministic)."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    db.upgrade(engine)
    store, seen = Store(engine), []

    @event.listens_for(engine, "before_cursor_execute")
    def keep(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    store.maintenance(["a"], during=(T0, T0 + 24 * H))
    store.outages(["a"], T0, T0 + 24 * H)
    event.remove(engine, "before_cursor_execute", keep)
    plans = []
    with engine.connect() as conn:
        for statement, parameters in seen:
            if not statement.startswith("SELECT"):
                continue
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            plans.append(" / ".join(r[-1] for r in rows))
    assert any("ix_maintenance_windows_end" in p for p in plans)
    assert any("ix_outages_end" in p for p in plans)
    # the only scan of a table allowed is of the partial index of the recurring windows
    scans = [step for p in plans for step in p.split(" / ")
             if step.startswith(("SCAN maintenance", "SCAN outage"))]
    assert [s for s in scans if not s.endswith("USING INDEX ix_maintenance_windows_recurring")
            ] == []
    engine.dispose()


def test_refusals_are_audited(store: Store):
    store.record_refusal(T0, "nip9", "maintenance.approve", "maintenance:1", "eselon too low")
    [e] = store.audit_entries()
    assert (e.outcome, e.after) == ("refused", {"reason": "eselon too low"})


def test_heartbeat_sessions_define_observed_time(store: Store):
    s1 = store.open_session("host:1", T0)
    store.beat(s1, T0 + H)
    # crash: no shutdown mark; a new session starts later
    s2 = store.open_session("host:1", T0 + 3 * H)
    store.close_session(s2, T0 + 4 * H)
    with pytest.raises(RuntimeError, match="closed"):
        store.beat(s2, T0 + 5 * H)
    spans = sorted(store.observed(T0, T0 + 10 * H))
    ts = int(T0.timestamp())
    assert spans == [(ts, ts + 3600), (ts + 3 * 3600, ts + 4 * 3600)]
    sessions = store.sessions()
    assert sessions[0]["stopped_at"] is None and sessions[1]["stopped_at"] == T0 + 4 * H


def test_naive_datetimes_are_refused(store: Store):
    with pytest.raises(Exception, match="naive datetime"):
        store.open_session("x", datetime(2026, 1, 1))


def test_outage_spans_are_whole_epoch_seconds_of_one_impact(store: Store):
    micro = T0 + timedelta(microseconds=999_999)
    store.add_manual_outage("a", micro, T0 + H, "mayor", "P1", "x", "n", T0 + 2 * H)
    store.add_manual_outage("a", T0, T0 + H, "minor", "P3", "x", "n", T0 + 2 * H)
    store.add_manual_outage("b", T0 - 5 * H, T0 - 4 * H, "mayor", "P1", "x", "n", T0)
    ts = int(T0.timestamp())
    got = store.outage_spans(["a", "b"], T0 - H, T0 + 5 * H, "mayor", T0 + 9 * H)
    assert dict(got) == {"a": [(ts, ts + 3600)]}


def test_audit_chain_detects_edits_and_deletions(store: Store):
    for i in range(4):
        store.add_manual_outage("a", T0, T0 + H, "mayor", "P1", f"cause {i}", "nip1", T0 + H)
    assert store.verify_audit() == (8, None)  # each change: its entry and its seal
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'someone-else' WHERE id = 3"))
    _, problem = store.verify_audit()
    assert problem is not None and "entry 3 was edited" in problem
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'nip1' WHERE id = 3"))
        conn.execute(text("DELETE FROM audit_log WHERE id = 5"))
    _count, problem = store.verify_audit()
    assert problem is not None and "entry 6" in problem and "chain broken" in problem


def test_migration_backfills_the_chain_for_older_entries(database_url: str):
    from alembic import command

    engine = db.make_engine(database_url)
    cfg = db._alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
        conn.execute(text("INSERT INTO audit_log (at, actor, action, subject, outcome) "
                          "VALUES ('2026-11-01 00:00:00', 'n', 'x', 's', 'done')"))
    db.upgrade(engine)
    store = Store(engine)
    assert store.verify_audit() == (1, None)
    store.record_refusal(T0, "n", "y", "s", "no")
    assert store.verify_audit() == (2, None)
    engine.dispose()


def test_migration_seals_evidence_written_before_sealing_existed(database_url: str):
    """A ledger from before sealing (revision 0008) with an outage, a maintenance window and
    a token: after upgrading, every row matches its seal and old tokens have an expiry."""
    from alembic import command

    engine = db.make_engine(database_url)
    cfg = db._alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0008")
        conn.execute(text(
            "INSERT INTO outages (service_id, start_at, end_at, impact, priority, source, "
            "closed_unobserved, created_at) VALUES ('a', '2026-11-01 00:00:00.250000', "
            "'2026-11-01 01:00:00', 'mayor', 'P1', 'probe', false, '2026-11-01 01:00:00')"))
        conn.execute(text(
            "INSERT INTO maintenance_windows (start_at, end_at, timezone, reason, "
            "registered_at, registered_by) VALUES ('2026-11-02 00:00:00', "
            "'2026-11-02 01:00:00', 'Asia/Jakarta', 'x', '2026-11-01 00:00:00', 'n')"))
        conn.execute(text("INSERT INTO api_tokens (nip, token_sha256, created_at) VALUES "
                          "('n', 'abc', '2026-11-01 00:00:00')"))
    db.upgrade(engine)
    store = Store(engine)
    assert evidence_problems(store.engine, []) == []
    [token] = store.tokens()
    assert token.expires_at == datetime(2027, 1, 30, tzinfo=UTC)
    store.close_outage("a", T0)  # nothing open: no change, still sealed
    assert evidence_problems(store.engine, []) == []
    engine.dispose()

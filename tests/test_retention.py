"""Retention on SQLite and PostgreSQL: hourly utilisation past the horizon becomes daily
rows, superseded transitions go, evidence stays, the job is audited and resumable, and a
Formulir F filed for a month it touched renders the same bytes afterwards."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Table, func, select

from spbe_monitor import retention
from spbe_monitor.config.loader import Config, load_config
from spbe_monitor.ledger.outages import close_outage, open_outage
from spbe_monitor.ledger.records import TransitionRow
from spbe_monitor.ledger.store import Store, UtilisationHour
from spbe_monitor.ledger.tables import report_data, utilisation_daily, utilisation_hourly
from spbe_monitor.ledger.verify import evidence_problems
from spbe_monitor.reports.jobs import formulir_f_reports
from tests.cli_helpers import spbe

pytestmark = pytest.mark.date_sweep  # tests/timetravel.py

OCT = datetime(2025, 10, 1, tzinfo=UTC)
FILED = datetime(2025, 11, 1, 1, tzinfo=UTC)
LATER = datetime(2026, 12, 2, tzinfo=UTC)  # 395 days on: October 2025 is past the horizon
FORMATS = ("json", "html", "pdf")


def a_month(store: Store) -> None:
    """October 2025 of perizinan-online: observed, an hour down, a disk filling."""
    session = store.open_session("h", OCT - timedelta(hours=12))
    store.beat(session, FILED)
    store.merge_utilisation([UtilisationHour(
        "ledger-disk", "disk_used_percent", OCT + timedelta(hours=i), 60, 50 + i * 0.01,
        51 + i * 0.01, OCT + timedelta(hours=i, minutes=10), 50.5 + i * 0.01)
        for i in range(31 * 24)])
    down, up = OCT + timedelta(days=9, hours=3), OCT + timedelta(days=9, hours=4)
    store.record_transitions([
        TransitionRow("component", "spbe-self-http", OCT, "unknown", "up", "ok"),
        TransitionRow("component", "spbe-self-http", down, "up", "down", "refused"),
        TransitionRow("component", "spbe-self-http", up, "down", "up", "ok"),
        TransitionRow("service", "perizinan-online", down, "up", "down", "refused"),
        TransitionRow("service", "perizinan-online", up, "down", "up", "ok"),
        TransitionRow("component", "spbe-self-http", FILED + timedelta(days=3), "up",
                      "down", "a November change, inside the horizon")])
    with store.engine.begin() as conn:
        open_outage(conn, "perizinan-online", down, "mayor", "P1", (down, up), "refused",
                    down)
        close_outage(conn, "perizinan-online", up)


def count(store: Store, table: Table) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.mark.parametrize("filed_before_retention_existed", [False, True])
def test_retention_rolls_up_and_an_old_formulir_f_renders_the_same_bytes(
        config_dir: Path, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        filed_before_retention_existed: bool):
    config = load_config(config_dir / "spbe.yaml")
    a_month(store)
    if filed_before_retention_existed:  # no data kept at filing: taken from the JSON file
        monkeypatch.setattr(Store, "keep_report_data", lambda *a, **k: False)
    filed = formulir_f_reports(config, store, 2025, 10, ["perizinan-online"], FORMATS,
                               tmp_path, FILED)["perizinan-online"]
    monkeypatch.undo()
    assert count(store, report_data) == (0 if filed_before_retention_existed else 1)

    plan = retention.plan(config, store, LATER)
    assert plan.as_json() == {"horizon": "2025-11-02T00:00:00+00:00", "months": ["2025-10"],
                              "hourly_rows": 744,
                              "transitions_removed": 3}  # the last per subject stays
    done = retention.run(config, store, LATER)
    assert [d.as_json() for d in done] == [{"month": "2025-10", "hourly_rows": 744,
                                            "daily_rows": 31, "transitions_removed": 3}]
    assert count(store, utilisation_hourly) == 0
    with store.engine.connect() as conn:
        first = conn.execute(select(utilisation_daily).order_by(utilisation_daily.c.day)
                             ).first()
    assert first is not None and first.samples == 24 * 60
    assert first.avg == pytest.approx(50 + 11.5 * 0.01)  # the day's hours, by samples
    assert (first.max, first.p95) == (pytest.approx(51.23), pytest.approx(50.73))
    assert first.max_at.replace(tzinfo=UTC) == OCT + timedelta(hours=23, minutes=10)
    assert [(t["subject_id"], t["new"]) for t in store.transitions()] == [
        ("spbe-self-http", "up"), ("perizinan-online", "up"), ("spbe-self-http", "down")]
    assert len(store.outages()) == 1  # evidence stays
    audit = [e for e in store.audit_entries() if e.action == "retention.month"]
    assert [(e.actor, e.subject) for e in audit] == [("spbe-retention", "ledger:2025-10")]
    assert store.verify_audit()[1] is None and evidence_problems(store.engine, []) == []
    assert retention.run(config, store, LATER) == []  # nothing twice

    again = formulir_f_reports(config, store, 2025, 10, ["perizinan-online"], FORMATS,
                               tmp_path, LATER)["perizinan-online"]
    assert [(w.fmt, w.sha256) for w in again] == [(w.fmt, w.sha256) for w in filed]
    assert all(w.skipped for w in again)  # identical bytes: nothing filed again


def test_a_run_killed_between_months_resumes_with_the_next(config_dir: Path, store: Store):
    config = load_config(config_dir / "spbe.yaml")
    for month in (7, 9):  # August has no hourly rows: not a month of work
        start = datetime(2025, month, 1, tzinfo=UTC)
        store.merge_utilisation([UtilisationHour("ledger-disk", "disk_used_percent",
                                                 start + timedelta(hours=i), 1, 1.0, 1.0,
                                                 start + timedelta(hours=i), 1.0)
                                 for i in range(48)])
    assert retention.plan(config, store, LATER).months == ("2025-07", "2025-09")
    assert [d.month for d in retention.run(config, store, LATER, months=1)] == ["2025-07"]
    assert retention.plan(config, store, LATER).months == ("2025-09",)
    assert [d.month for d in retention.run(config, store, LATER)] == ["2025-09"]
    assert count(store, utilisation_daily) == 4 and count(store, utilisation_hourly) == 0


def test_db_retain_says_what_it_will_do_and_does_it(configured: tuple[Config, Store],
                                                    capsys: pytest.CaptureFixture[str]):
    config, store = configured
    old = datetime(2025, 9, 1, tzinfo=UTC)  # past the horizon from today (395 days)
    store.merge_utilisation([UtilisationHour("web-1", "cpu_percent", old + timedelta(hours=h),
                                             60, 40.0, 90.0, old, 80.0) for h in range(48)])
    args = ("--config", str(config.path), "db", "retain")
    dry = spbe(capsys, *args, "--dry-run")
    assert dry.code == 0 and dry.out.startswith(
        "next retention run: 48 hourly rows rolled up into daily ones, 0 transitions "
        "removed, months 2025-09 (UTC)")
    assert count(store, utilisation_hourly) == 48
    done = spbe(capsys, *args)
    assert done.code == 0 and done.out == ("2025-09: 48 hourly rows into 2 daily, 0 "
                                           "transitions removed\n")
    assert [e.actor for e in store.audit_entries() if e.action == "retention.month"] == [
        f"os:{getpass.getuser()}"]
    assert spbe(capsys, *args).out.startswith("nothing to do")


def test_a_run_killed_inside_a_month_resumes_with_the_days_left(config_dir: Path,
                                                               store: Store):
    """A day per transaction: a run killed after the first day of October leaves that day
    rolled up; the next run does the other 30 and audits the month once."""
    config = load_config(config_dir / "spbe.yaml")
    a_month(store)
    assert store.roll_up_day(OCT) == (1, 24)  # what a run killed there had done
    assert count(store, utilisation_hourly) == 30 * 24
    done = retention.run(config, store, LATER)
    assert [d.as_json() for d in done] == [{"month": "2025-10", "hourly_rows": 30 * 24,
                                            "daily_rows": 30, "transitions_removed": 3}]
    with store.engine.connect() as conn:
        days = conn.execute(select(utilisation_daily.c.day, utilisation_daily.c.samples)
                            .order_by(utilisation_daily.c.day)).all()
    assert [(d.replace(tzinfo=UTC), n) for d, n in days] == [
        (OCT + timedelta(days=i), 24 * 60) for i in range(31)]
    assert count(store, utilisation_hourly) == 0
    assert [e.subject for e in store.audit_entries() if e.action == "retention.month"] == [
        "ledger:2025-10"]


def test_superseded_transitions_alone_are_work_for_the_month_before_the_horizon(
        config_dir: Path, store: Store):
    """No hourly rows past the horizon (a ledger without servers): its old transitions
    still go, compacted with the month before the horizon's; a subject with one stays."""
    config = load_config(config_dir / "spbe.yaml")
    store.record_transitions([
        TransitionRow("component", "spbe-self-http", OCT, "unknown", "up", "ok"),
        TransitionRow("component", "spbe-self-http", OCT + timedelta(days=2), "up", "down",
                      "refused"),
        TransitionRow("service", "perizinan-online", OCT, "unknown", "up", "ok")])
    assert retention.plan(config, store, LATER).as_json() == {
        "horizon": "2025-11-02T00:00:00+00:00", "months": ["2025-10"], "hourly_rows": 0,
        "transitions_removed": 1}
    assert [d.as_json() for d in retention.run(config, store, LATER)] == [
        {"month": "2025-10", "hourly_rows": 0, "daily_rows": 0, "transitions_removed": 1}]
    assert [(t["subject_id"], t["new"]) for t in store.transitions()] == [
        ("spbe-self-http", "down"), ("perizinan-online", "up")]
    assert retention.plan(config, store, LATER).months == ()

"""Maintenance registered in advance, by rule (24 h notice, 12 h at most, not during the
outage it would excuse), through the Desk into the ledger and the monthly figure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from spbe_monitor.availability.formula import Late
from spbe_monitor.config.loader import load_config
from spbe_monitor.ledger.store import Store
from spbe_monitor.manual import Desk
from spbe_monitor.monthly import figures_for_month
from tests.conftest import FakeClock
from tests.identities import as_person

pytestmark = pytest.mark.date_sweep  # tests/timetravel.py

TEKNIS = "199002102015032005"
START = datetime(2026, 11, 10, 18, 0, tzinfo=UTC)  # 01.00 WIB on the 11th
H = timedelta(hours=1)


def downtime(desk: Desk) -> tuple[int, int]:
    [month] = figures_for_month(desk.config, desk.store, 2026, 11, ["perizinan-online"],
                                datetime(2026, 12, 1, tzinfo=UTC))
    return month.figures.downtime_seconds, month.figures.excused_seconds


@pytest.mark.parametrize("notice, length, late", [
    (timedelta(seconds=1), 2 * H, Late.NOTICE),
    (23 * H, 2 * H, Late.NOTICE),
    (25 * H, 2 * H, None),
    (25 * H, 11 * H, None),
    (25 * H, 13 * H, Late.TOO_LONG),
])
def test_notice_and_length_decide_what_is_excused(config_dir: Path, store: Store,
                                                   notice, length, late):
    clock = FakeClock(START - notice)
    desk = Desk(load_config(config_dir / "spbe.yaml"), store, clock)
    wid, said = desk.add_maintenance(["perizinan-online"], START.isoformat(),
                                     (START + length).isoformat(), None, "Patch",
                                     as_person(desk.config, TEKNIS))
    assert said is late and store.window(wid).late_reason == (late.value if late else None)
    store.add_manual_outage("perizinan-online", START, START + H, "mayor", "P1", "patch",
                            TEKNIS, START + 2 * H)
    assert downtime(desk) == ((3600, 0) if late else (0, 3600))


def test_a_window_posted_during_the_outage_excuses_none_of_it(config_dir: Path,
                                                              store: Store):
    settings = config_dir / "spbe.yaml"  # an agency that asks for only a minute of notice
    settings.write_text(settings.read_text() + "maintenance: {min_notice: 1m}\n")
    clock = FakeClock(START + timedelta(minutes=10))
    desk = Desk(load_config(settings), store, clock)
    store.open_outage("perizinan-online", START, "mayor", "P1", (START, START), "down",
                      START)
    wid, said = desk.add_maintenance(["perizinan-online"],
                                     (START + timedelta(minutes=15)).isoformat(),
                                     (START + 2 * H).isoformat(), None, "Darurat",
                                     as_person(desk.config, TEKNIS))
    # at registration the outage is known to last until now only: the window, five minutes
    # ahead, is scheduled as far as anyone can tell ...
    assert said is None and store.window(wid).late_reason is None
    store.close_outage("perizinan-online", START + H)
    # ... but the outage was still going on when it began: it excuses none of it
    assert downtime(desk) == (3600, 0)


def test_a_window_registered_a_week_ahead_during_an_outage_is_scheduled(config_dir: Path,
                                                                       store: Store):
    """Issue 30, item 4: the service happened to be down at registration; that outage ended
    long before the window, which then excuses the outage it was registered for."""
    registered = START - 7 * 24 * H
    clock = FakeClock(registered)
    desk = Desk(load_config(config_dir / "spbe.yaml"), store, clock)
    store.open_outage("perizinan-online", registered - H, "mayor", "P1",
                      (registered - H, registered - H), "down", registered - H)
    wid, said = desk.add_maintenance(["perizinan-online"], START.isoformat(),
                                     (START + 2 * H).isoformat(), None, "Migrasi basis data",
                                     as_person(desk.config, TEKNIS))
    assert said is None and store.window(wid).late_reason is None
    store.close_outage("perizinan-online", registered + 2 * H)
    store.add_manual_outage("perizinan-online", START, START + H, "mayor", "P1", "migrasi",
                            TEKNIS, START + 2 * H)
    assert downtime(desk) == (3 * 3600, 3600)  # the first outage counts, the window's not


@pytest.mark.parametrize("ends_after_start, excused", [(-1, 1800), (1, 0)])
def test_the_outage_open_at_registration_decides_at_the_occurrences_first_second(
        config_dir: Path, store: Store, ends_after_start: int, excused: int):
    """The boundary: an outage open at registration that ended a second before the
    occurrence began leaves it scheduled (it excuses the half hour of work inside it); one
    still going a second after the occurrence began makes it excuse nothing."""
    registered = START - 2 * 24 * H
    desk = Desk(load_config(config_dir / "spbe.yaml"), store, FakeClock(registered))
    store.open_outage("perizinan-online", registered - H, "mayor", "P1",
                      (registered - H, registered - H), "down", registered - H)
    desk.add_maintenance(["perizinan-online"], START.isoformat(), (START + H).isoformat(),
                         None, "Patch", as_person(desk.config, TEKNIS))
    store.close_outage("perizinan-online", START + timedelta(seconds=ends_after_start))
    work = (START + timedelta(minutes=10), START + timedelta(minutes=40))
    store.add_manual_outage("perizinan-online", *work, "mayor", "P1", "patch", TEKNIS,
                            START + 2 * H)
    assert downtime(desk)[1] == excused


def test_a_recurring_window_whose_first_occurrence_is_late(config_dir: Path, store: Store):
    clock = FakeClock(START - 2 * H)  # two hours before the first Wednesday 01.00 WIB
    desk = Desk(load_config(config_dir / "spbe.yaml"), store, clock)
    desk.add_maintenance(["perizinan-online"], START.isoformat(), (START + 2 * H).isoformat(),
                         "FREQ=WEEKLY", "Patch mingguan",
                         as_person(desk.config, TEKNIS))
    for week in (0, 1):  # an hour down inside the first and the second occurrence
        at = START + timedelta(weeks=week)
        store.add_manual_outage("perizinan-online", at, at + H, "mayor", "P1", "patch",
                                TEKNIS, START + 30 * 24 * H)
    assert downtime(desk) == (3600, 3600)  # the first counts, the second is excused

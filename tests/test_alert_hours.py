"""What the alerts know of the calendar (issue 31, item 3): whether a service is inside its
operating hours now — holidays and zones included — and when its annual drill falls due,
as the exporter reads them for the rules (the rules themselves: promtool's unit tests in
dashboards/rules/spbe.rules.test.yml, run by test_dashboards)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from spbe_monitor.config.loader import load_config
from spbe_monitor.drp.facts import read_facts
from spbe_monitor.exporter.ledger_view import in_operating_hours
from spbe_monitor.ledger.records import TransitionRow
from spbe_monitor.ledger.store import Store
from tests.conftest import EXAMPLE_CONFIG, FakeClock


@pytest.mark.parametrize(("at", "inside"), [
    (datetime(2026, 12, 7, 1, 0, tzinfo=UTC), True),  # Monday 10.00 WIT
    (datetime(2026, 12, 6, 1, 0, tzinfo=UTC), False),  # Sunday 10.00 WIT
    (datetime(2026, 12, 7, 6, 59, 59, tzinfo=UTC), True),  # Monday 15.59.59 WIT
    (datetime(2026, 12, 7, 7, 0, tzinfo=UTC), False),  # Monday 16.00 WIT: closed
    (datetime(2026, 12, 11, 7, 20, tzinfo=UTC), True),  # Friday 16.20 WIT (open to 16.30)
    (datetime(2026, 12, 25, 1, 0, tzinfo=UTC), False),  # Christmas, a national holiday
])
def test_an_office_hours_service_is_inside_its_hours_only_on_its_calendar(at, inside):
    config = load_config(EXAMPLE_CONFIG / "spbe.yaml")  # simpeg-internal: Mon-Fri, WIT
    assert in_operating_hours(config, "simpeg-internal", at) is inside
    assert in_operating_hours(config, "perizinan-online", at)  # 24x7


def test_a_new_installation_owes_its_first_drill_a_year_after_it_began(store: Store,
                                                                       clock: FakeClock):
    """The first mail of a new installation was SpbeDRPDrillOverdue: never drilled meant
    overdue. Now it falls due a year after the ledger first judged the service."""
    config = load_config(EXAMPLE_CONFIG / "spbe.yaml")
    first = clock.now() - timedelta(days=30)
    store.record_transitions([TransitionRow("service", "perizinan-online", first, "unknown",
                                            "up", "pertama")])
    due = read_facts(config, store, clock).drill_due
    assert due["perizinan-online"] == first + timedelta(days=365)
    assert "simpeg-internal" not in due  # no playbook: no drill owed

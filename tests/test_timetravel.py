"""The date sweep is real: the test and every Python process it starts agree on the
date, and under SPBE_DATE_SWEEP=1 that date is the sweep's instant."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from tests.timetravel import INSTANTS, months_between

pytestmark = pytest.mark.date_sweep


def test_subprocesses_share_the_tests_date(sweep_at: str | None):
    child = subprocess.run([sys.executable, "-c", "from datetime import UTC, datetime; "
                            "print(datetime.now(UTC).isoformat())"],
                           capture_output=True, text=True, check=True).stdout
    now = datetime.now(UTC)
    assert abs(datetime.fromisoformat(child.strip()) - now) < timedelta(seconds=30)
    if sweep_at is not None:
        assert timedelta(0) <= now - INSTANTS[sweep_at] < timedelta(minutes=10)


def test_a_slow_starting_child_keeps_the_tests_time():
    """A daemon reads the clock first only after seconds of imports; time-machine ticks
    from the first reading, so the site hook anchors it at once (a cluster's members
    disagreed by the length of their start-up before)."""
    script = ("import time; from datetime import UTC, datetime; time.sleep(1.5); "
              "print(datetime.now(UTC).isoformat())")
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           check=True).stdout
    assert abs(datetime.fromisoformat(child.strip()) - datetime.now(UTC)) < timedelta(
        seconds=0.5)


def test_a_span_across_a_months_end_touches_both_months():
    end_of_year = INSTANTS["year-end"]
    assert months_between(end_of_year, end_of_year + timedelta(minutes=1)) == [
        "2026-12", "2027-01"]
    assert months_between(end_of_year, end_of_year) == ["2026-12"]

"""The date sweep: date-sensitive tests run again with the clock at the instants where
calendars break — the first minute of a month, the last of a year, a leap day.

`SPBE_DATE_SWEEP=1 pytest -m date_sweep` runs every test marked `date_sweep` once per
instant. The test's own process travels there with time-machine (wall clock only: the
monotonic clock, and so every timeout and asyncio sleep, stays real), and every Python
subprocess it starts — daemons, CLI commands — travels by the same offset through
`timetravel_site/sitecustomize.py`, so all of them agree on what time it is. PostgreSQL
keeps the machine's clock: only cluster leases read it, and those are built to tolerate
members whose clocks disagree with the database's.
"""

from __future__ import annotations

import os
import sysconfig
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine

WIB = ZoneInfo("Asia/Jakarta")
INSTANTS = {
    "month-start": datetime(2027, 3, 1, 0, 0, 30, tzinfo=WIB),  # first minute, after a February
    "year-end": datetime(2026, 12, 31, 23, 59, 30, tzinfo=WIB),
    "leap-day": datetime(2028, 2, 29, 12, 0, tzinfo=WIB),
}
SWEEP = os.environ.get("SPBE_DATE_SWEEP") == "1"
OFFSET_ENV = "SPBE_TEST_CLOCK_OFFSET"
SITE = Path(__file__).resolve().parent / "timetravel_site"


@contextmanager
def travel(to: datetime) -> Iterator[None]:
    """This process and the Python processes it starts from here on run at `to`, ticking."""
    offset = to.timestamp() - time.time()
    saved = {k: os.environ.get(k) for k in (OFFSET_ENV, "PYTHONPATH")}
    os.environ[OFFSET_ENV] = repr(offset)
    # our packages after the hook: a Python other than ours (Debian's, in DRP steps that run
    # as the service user, who cannot reach root's interpreter) finds time-machine there
    ours = sysconfig.get_paths()["purelib"]
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(SITE), ours, saved["PYTHONPATH"]) if p)
    try:
        # a float, not the aware datetime: a ZoneInfo there would also move the process's
        # local zone, hiding code that wrongly uses the machine's zone
        with time_machine.travel(to.timestamp(), tick=True):
            time.time()  # it ticks from the first reading: anchor it now, as the children do
            yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def local_now(zone: ZoneInfo = WIB) -> datetime:
    """Now in the service's zone (the example services' zone is WIB)."""
    return datetime.now(UTC).astimezone(zone)


def month_of(at: datetime, zone: ZoneInfo = WIB) -> str:
    """`YYYY-MM` of the month `at` falls in, in the service's zone: never the machine's."""
    return at.astimezone(zone).strftime("%Y-%m")


def month_start(at: datetime, zone: ZoneInfo = WIB) -> datetime:
    local = at.astimezone(zone)
    return datetime(local.year, local.month, 1, tzinfo=zone)


def previous_month_start(at: datetime, zone: ZoneInfo = WIB) -> datetime:
    return month_start(month_start(at, zone) - timedelta(days=1), zone)


def months_between(start: datetime, end: datetime, zone: ZoneInfo = WIB) -> list[str]:
    """Every `YYYY-MM` a span touches: a test's few seconds may cross a month's end."""
    months, at = [], month_start(start, zone)
    while at <= end:
        months.append(month_of(at, zone))
        at = month_start(at + timedelta(days=32), zone)
    return months

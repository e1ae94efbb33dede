"""A service's operating year as `spbe calendar` prints it: per month the committed days and
seconds under each holiday rule (none, libur nasional, with cuti bersama) so the effect of
each is plain, which rule applies, and every day off with its source. One object, printed
as text or JSON, computed by the same `commitment` as the figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from spbe_monitor.availability.calendar import commitment, days
from spbe_monitor.availability.intervals import total
from spbe_monitor.config.calendar_models import HolidayRule
from spbe_monitor.config.holidays import Holiday, month_span
from spbe_monitor.config.loader import Config


@dataclass(frozen=True)
class MonthCommitment:
    month: int
    days: dict[HolidayRule, int]  # days with committed time, under each rule
    seconds: dict[HolidayRule, int]

    def as_json(self) -> dict[str, Any]:
        return {"month": self.month, "days": {r.value: n for r, n in self.days.items()},
                "seconds": {r.value: n for r, n in self.seconds.items()}}


@dataclass(frozen=True)
class OperatingYear:
    service: str
    year: int
    rule: HolidayRule
    months: tuple[MonthCommitment, ...]
    holidays: tuple[tuple[Holiday, bool], ...]  # each day off, and whether it removed time

    def total(self, rule: HolidayRule) -> tuple[int, int]:
        return (sum(m.days[rule] for m in self.months),
                sum(m.seconds[rule] for m in self.months))

    def as_json(self) -> dict[str, Any]:
        return {"service": self.service, "year": self.year, "holidays_rule": self.rule.value,
                "months": [m.as_json() for m in self.months],
                "holidays": [{**h.as_json(), "removes_committed_time": removed}
                             for h, removed in self.holidays]}


def operating_year(config: Config, service_id: str, year: int) -> OperatingYear:
    svc = config.service(service_id)
    assert svc.holidays is not None
    book, extra = config.holiday_book, config.extra_holidays.get(svc.id, ())
    months = []
    for month in range(1, 13):
        first, last = month_span(year, month)
        count: dict[HolidayRule, int] = {}
        seconds: dict[HolidayRule, int] = {}
        for rule in HolidayRule:
            calendar = book.calendar(svc.id, svc.operating_hours, rule, extra, first, last)
            count[rule] = sum(1 for d in days(date(year, month, 1), last + timedelta(days=1))
                              if calendar.ranges(d))
            seconds[rule] = total(commitment(calendar, svc.zone, year, month))
        months.append(MonthCommitment(month, count, seconds))
    applied = config.holidays(svc.id, date(year, 1, 1), date(year, 12, 31))
    return OperatingYear(svc.id, year, svc.holidays, tuple(months),
                         tuple((h, bool(svc.operating_hours[h.day.weekday()]))
                               for h in applied))

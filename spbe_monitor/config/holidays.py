"""The days off a service's operating hours skip, resolved from their sources: libur nasional
and cuti bersama from the maintained `holidays` package (Indonesia, its `government`
category holding cuti bersama), replaced for a year by a decree file when the agency has the
SKB before the library does; the agency's local holidays (YAML or iCalendar) and a service's
own extra days. Files are read at load, with file:line errors; the library is asked per year
when a month needs it. The result is a pure `availability.calendar.Calendar`."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from spbe_monitor.availability.calendar import Calendar, Special, Week
from spbe_monitor.config.calendar_models import (
    DayOffEntry,
    DaysOff,
    DecreeFile,
    HolidayRule,
    SpecialHours,
)
from spbe_monitor.config.yamlmarks import Loc, Marked, YamlError, load

KINDS = {"nasional": "libur nasional", "cuti_bersama": "cuti bersama", "lokal": "libur daerah",
         "layanan": "libur layanan"}
Report = Callable[[Marked, Loc, str], None]
_DAYS = TypeAdapter(list[DayOffEntry])


@dataclass(frozen=True)
class Holiday:
    day: date
    name: str
    kind: str  # nasional | cuti_bersama | lokal | layanan
    source: str  # where it came from: the library and its version, or the file

    def as_json(self) -> dict[str, str]:
        return {"tanggal": self.day.isoformat(), "nama": self.name,
                "jenis": KINDS[self.kind], "sumber": self.source}


@cache
def library(year: int) -> tuple[Holiday, ...]:
    """The `holidays` package's Indonesian calendar for `year`, in Bahasa Indonesia."""
    from importlib.metadata import version

    import holidays

    source = f"pustaka holidays {version('holidays')}"
    found = []
    for category, kind in (("public", "nasional"), ("government", "cuti_bersama")):
        days = holidays.country_holidays("ID", years=year, categories=(category,),
                                         language="id")
        for day, names in sorted(days.items()):
            for name in names.split("; "):
                found.append(Holiday(day, name, kind, source))
    return tuple(found)


@dataclass(frozen=True)
class HolidayBook:
    """Every source of days off, resolved; `calendar()` builds a service's calendar."""

    local: tuple[Holiday, ...] = ()
    decrees: dict[int, tuple[Holiday, ...]] = field(default_factory=dict)
    special: tuple[tuple[SpecialHours, Week], ...] = ()

    def national(self, year: int) -> tuple[Holiday, ...]:
        return self.decrees.get(year) or library(year)

    def applied(self, rule: HolidayRule, extra: Iterable[Holiday], first: date, last: date
                ) -> list[Holiday]:
        """The days off from `first` to `last` (inclusive) under `rule`, with their sources."""
        kinds = {HolidayRule.NONE: set(), HolidayRule.NASIONAL: {"nasional"},
                 HolidayRule.NASIONAL_CUTI_BERSAMA: {"nasional", "cuti_bersama"}}[rule]
        found = [h for year in range(first.year, last.year + 1) for h in self.national(year)
                 if h.kind in kinds]
        if rule is not HolidayRule.NONE:
            found += self.local
        found += extra
        return sorted((h for h in found if first <= h.day <= last),
                      key=lambda h: (h.day, h.kind, h.name))

    def calendar(self, service_id: str, week: Week, rule: HolidayRule,
                 extra: Iterable[Holiday], first: date, last: date) -> Calendar:
        """The service's calendar for the days `first` to `last`."""
        off = frozenset(h.day for h in self.applied(rule, extra, first, last))
        special = tuple(Special(s.first, s.last, w) for s, w in self.special
                        if (s.services is None and rule is not HolidayRule.NONE)
                        or (s.services is not None and service_id in s.services))
        return Calendar(week, off, special)


def month_span(year: int, month: int) -> tuple[date, date]:
    """The days a month's commitment looks at: the day before it (overnight) to its last."""
    nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return date(year, month, 1) - timedelta(days=1), nxt - timedelta(days=1)


def days_off(entries: DaysOff, kind: str, base: Path, doc: Marked, loc: Loc,
             report: Report) -> tuple[Holiday, ...]:
    """Days off given in the YAML itself, or in a .yaml or .ics file named there."""
    if isinstance(entries, list):
        return tuple(Holiday(e.date, e.name, kind, f"{doc.path.name}") for e in entries)
    path = (base / entries).resolve()
    if path.suffix.lower() == ".ics":
        return _ics(path, kind, doc, loc, report)
    try:
        marked = load(path)
    except YamlError as exc:
        report(doc, loc, str(exc))
        return ()
    data = marked.data.get("holidays") if isinstance(marked.data, dict) else marked.data
    try:
        parsed = _DAYS.validate_python(data if data is not None else [])
    except ValidationError as exc:
        for err in exc.errors():
            where = ("holidays", *err["loc"]) if isinstance(marked.data, dict) else err["loc"]
            report(marked, tuple(where), err["msg"].removeprefix("Value error, "))
        return ()
    return tuple(Holiday(e.date, e.name, kind, path.name) for e in parsed)


def _ics(path: Path, kind: str, doc: Marked, loc: Loc, report: Report
         ) -> tuple[Holiday, ...]:
    """Whole-day events of an iCalendar file, each day of a multi-day event."""
    from icalendar import Calendar as ICalendar

    try:
        raw = path.read_bytes()
        parsed = ICalendar.from_ical(raw)
    except OSError as exc:
        report(doc, loc, f"cannot read {path}: {exc.strerror}")
        return ()
    except (ValueError, IndexError, KeyError) as exc:
        line = _line_of(raw.decode("utf-8", "replace"), str(exc))
        report(doc, loc, f"{path}:{line}: not a valid iCalendar file: {exc}")
        return ()
    found = []
    text = raw.decode("utf-8", "replace")
    for number, event in enumerate(parsed.walk("VEVENT")):
        try:
            first, last = _event_days(event)
        except (ValueError, TypeError) as exc:
            starts = [n for n, line in enumerate(text.splitlines(), start=1)
                      if line.upper().startswith("DTSTART")]
            line = starts[number] if number < len(starts) else 1
            report(doc, loc, f"{path}:{line}: not a valid iCalendar event: {exc}")
            continue
        name = str(event.get("SUMMARY", "libur"))
        day = first
        while day < last or day == first:
            found.append(Holiday(day, name, kind, path.name))
            day += timedelta(days=1)
    return tuple(found)


def _event_days(event: Any) -> tuple[date, date]:
    """An event's first day and the day after its last (DTEND is exclusive)."""
    start = event.decoded("DTSTART")
    first = start.date() if isinstance(start, datetime) else start
    end = event.decoded("DTEND", None)
    last = (end.date() if isinstance(end, datetime) else end) if end else first
    if not isinstance(first, date) or not isinstance(last, date):
        raise ValueError("DTSTART and DTEND must be dates")
    return first, last


def _line_of(text: str, message: str) -> int:
    """The line an iCalendar error is about, when its message quotes that line."""
    for quoted in re.findall(r"'([^']{3,})'|\"([^\"]{3,})\"", message):
        needle = next(q for q in quoted if q)
        for number, line in enumerate(text.splitlines(), start=1):
            if needle in line:
                return number
    return 1


def decrees(paths: list[str], base: Path, doc: Marked, report: Report
            ) -> dict[int, tuple[Holiday, ...]]:
    """Decree files by year (each replaces the library's data for its year)."""
    out: dict[int, tuple[Holiday, ...]] = {}
    for i, name in enumerate(paths):
        path = (base / name).resolve()
        try:
            marked = load(path)
        except YamlError as exc:
            report(doc, ("calendar", "decrees", i), str(exc))
            continue
        try:
            decree = DecreeFile.model_validate(marked.data or {})
        except ValidationError as exc:
            for err in exc.errors():
                report(marked, tuple(err["loc"]), err["msg"].removeprefix("Value error, "))
            continue
        if decree.year in out:
            report(marked, ("year",), f"a second decree file for {decree.year}")
        source = f"{decree.decree} ({path.name})"
        out[decree.year] = tuple(
            [Holiday(e.date, e.name, "nasional", source) for e in decree.libur_nasional]
            + [Holiday(e.date, e.name, "cuti_bersama", source) for e in decree.cuti_bersama])
    return out

"""The calendar's config entries: a service's holiday rule and extra days off (services.yaml),
the agency's local holidays, decree files and special-hours periods (spbe.yaml)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from spbe_monitor.availability.calendar import Week, parse_operating_hours

Ident = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,62}$")]


class HolidayRule(StrEnum):
    """Which national days off a service's operating hours skip."""

    NONE = "none"  # the default for a 24x7 service
    NASIONAL = "nasional"  # libur nasional only
    NASIONAL_CUTI_BERSAMA = "nasional+cuti_bersama"  # the default for office hours


def _entry(value: Any) -> Any:
    """A bare date is a day off without a name."""
    return {"date": value} if isinstance(value, date | str) else value


class DayOff(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    date: date
    name: str = "libur"


DayOffEntry = Annotated[DayOff, BeforeValidator(_entry)]
# a list of days off in the YAML itself, or a file (.yaml list, or an iCalendar .ics)
DaysOff = list[DayOffEntry] | Annotated[str, Field(min_length=1)]


class DecreeFile(BaseModel):
    """One year's SKB 3 Menteri (or its revision): overrides the library for that year."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    year: int = Field(ge=2000, le=2100)
    decree: str
    libur_nasional: list[DayOffEntry]
    cuti_bersama: list[DayOffEntry] = []

    @model_validator(mode="after")
    def _in_year(self) -> DecreeFile:
        for entry in (*self.libur_nasional, *self.cuti_bersama):
            if entry.date.year != self.year:
                raise ValueError(f"{entry.date} is not in {self.year}")
        return self


class CalendarSettings(BaseModel):
    """spbe.yaml `calendar:`: the agency's own days off and the decree files."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    local: DaysOff = []  # Hari Jadi Kabupaten and other local holidays
    decrees: list[str] = []  # SKB files (see DecreeFile), relative to spbe.yaml


class SpecialHours(BaseModel):
    """A period with its own hours, e.g. Ramadan 1448 H:
    `{from: 2027-02-08, to: 2027-03-09, mon-thu: "08:00-15:00", fri: "08:00-15:30"}`.
    Applies to `services`, or to every service that skips national holidays."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    name: str = "jam khusus"
    first: date = Field(alias="from")
    last: date = Field(alias="to")
    services: list[Ident] | None = None

    @model_validator(mode="after")
    def _checked(self) -> SpecialHours:
        if self.last < self.first:
            raise ValueError(f"the period ends ({self.last}) before it starts ({self.first})")
        self.week  # noqa: B018 - parse the hours now, so errors come at load
        return self

    @property
    def week(self) -> Week:
        extra = dict(self.model_extra or {})
        if not extra:
            raise ValueError("give the hours of the period, e.g. mon-thu: \"08:00-15:00\"")
        return parse_operating_hours(extra)

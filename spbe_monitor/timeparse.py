"""Reading times users type: ISO 8601, with an offset or in the service's own zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from spbe_monitor.errors import BadInput


def parse_time(text: str, zone: str | None, what: str) -> datetime:
    """Aware datetime; a time without offset is read in `zone` (an error when zone is None)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{what}: {text!r} is not an ISO 8601 time such as "
                       "2026-11-03T08:00 or 2026-11-03T08:00+07:00") from None
    if value.tzinfo is None:
        if zone is None:
            raise BadInput(f"{what}: {text!r} has no offset and the services are in different "
                           "zones; add one, e.g. +07:00 (WIB), +08:00 (WITA), +09:00 (WIT)")
        value = value.replace(tzinfo=ZoneInfo(zone))
    if not 1970 <= value.year <= 9998:
        raise BadInput(f"{what}: {text!r} is outside the years 1970 to 9998")
    return value

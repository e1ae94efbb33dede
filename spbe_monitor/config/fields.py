"""Field types shared by the config models: durations, zones, operating hours, `require`."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import PlainSerializer, PlainValidator

from spbe_monitor.availability.calendar import Week, parse_operating_hours

_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}
_DURATION = re.compile(r"(\d+)\s*(ms|[wdhms])")


def parse_duration(value: Any) -> timedelta:
    """`500ms`, `90s`, `15m`, `4h`, `1d`, `1d12h`, `2w`; a bare number is ambiguous: refused."""
    if isinstance(value, timedelta) and value > timedelta(0):
        return value
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a duration with units, such as 30s, 15m, 4h or 1d")
    text = value.strip().lower().replace(" ", "")
    pos, seconds = 0, 0.0
    for m in _DURATION.finditer(text):
        if m.start() != pos:
            break
        seconds += int(m[1]) * _UNITS[m[2]]
        pos = m.end()
    if pos != len(text) or pos == 0:
        raise ValueError(f"{value!r} is not a duration such as 30s, 15m, 4h, 1d or 1d12h")
    if seconds == 0:
        raise ValueError("a duration must be longer than zero")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """Inverse of parse_duration, largest units first (`1d12h`, `1s500ms`)."""
    left = round(value.total_seconds() * 1000)
    parts = []
    for unit, size in _UNITS.items():
        millis = round(size * 1000)
        if left >= millis:
            parts.append(f"{left // millis}{unit}")
            left %= millis
    return "".join(parts) or "0s"


def _zone(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected an IANA time zone name such as Asia/Jakarta")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (use e.g. Asia/Jakarta, Asia/Makassar, "
                         "Asia/Jayapura)") from None
    return value


def _hours(value: Any) -> Week:
    if not isinstance(value, str | dict):
        raise ValueError("expected 24x7, 24x5 or a mapping such as {mon-fri: \"07:30-16:00\"}")
    if isinstance(value, dict) and not all(isinstance(k, str) for k in value):
        raise ValueError("day names must be text such as mon-fri")
    return parse_operating_hours(value)


def _require(value: Any) -> str | int:
    if value in ("all", "any"):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    raise ValueError("expected all, any, or a whole number of components (at least 1)")


def _http_url(value: Any) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected an http:// or https:// URL with a host, got {value!r}")
    return str(value)


Duration = Annotated[
    timedelta, PlainValidator(parse_duration), PlainSerializer(format_duration, return_type=str)
]
ZoneName = Annotated[str, PlainValidator(_zone)]
OperatingHours = Annotated[Week, PlainValidator(_hours)]
Require = Annotated[str | int, PlainValidator(_require)]
HttpUrl = Annotated[str, PlainValidator(_http_url)]

"""Times as a person reads them in CLI output, logs and refusals: in the service's (or the
configured) zone, `29/11/2026 06.40.12 WIB`; storage stays UTC."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def local_time(moment: datetime | str | None, zone: str, seconds: bool = True) -> str:
    """`29/11/2026 06.40.12` in `zone` (the table's header names the zone), `-` for none;
    the moment as a datetime or as the ISO 8601 text of the JSON it came in."""
    if moment is None:
        return "-"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%d/%m/%Y %H.%M.%S}" if seconds else f"{local:%d/%m/%Y %H.%M}"


def zone_label(zone: str) -> str:
    """WIB, WITA, WIT, or the zone's name."""
    from spbe_monitor.reports.words import zona

    return zona(zone)


def read_time(moment: datetime, zone: str) -> str:
    """`29/11/2026 06.40.12 WIB`: a moment in a sentence."""
    return f"{local_time(moment, zone)} {zone_label(zone)}"


def log_in_zone(zone: str) -> None:
    """The daemon's log lines stamped in `zone` (`2026-12-06 23.24.07 WIB`), whatever the
    host's TZ: a Pengelola Teknis compares them with the Konsol and the reports."""
    import logging
    from datetime import UTC

    where = ZoneInfo(zone)
    label = zone_label(zone)

    class Stamped(logging.Formatter):
        def formatTime(self, record: logging.LogRecord,
                       datefmt: str | None = None) -> str:
            local = datetime.fromtimestamp(record.created, UTC).astimezone(where)
            return f"{local:%Y-%m-%d %H.%M.%S} {label}"

    handler = logging.StreamHandler()
    handler.setFormatter(Stamped("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])

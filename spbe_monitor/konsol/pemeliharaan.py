"""Konsol: Pemeliharaan. Register a maintenance window (times in the service's zone, a
weekly or monthly repetition built for the person), see whether each window counts as
scheduled or late and why, and — for a Penyedia Layanan — approve a late one with the
authenticator's code. Every act goes through `manual.Desk`, as from the CLI and the API."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from spbe_monitor.availability.formula import Late
from spbe_monitor.config.loader import Config
from spbe_monitor.config.models import Person
from spbe_monitor.errors import BadInput
from spbe_monitor.ledger.store import MaintenanceWindow, Store
from spbe_monitor.regulation import authority as rules
from spbe_monitor.reports.rincian import ALASAN_TERLAMBAT
from spbe_monitor.reports.words import waktu

HARI_RRULE = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
REPEAT = {"": "tidak berulang", "mingguan": "setiap minggu pada hari yang sama",
          "bulanan": "setiap bulan pada tanggal yang sama"}


def rrule_for(repeat: str, start_local: str, zone: str) -> str | None:
    """The RRULE of the helper's choice, from the start as typed (YYYY-MM-DDTHH:MM)."""
    if repeat not in REPEAT:
        raise BadInput(f"pengulangan {repeat[:40]!r} tidak dikenal")
    if not repeat:
        return None
    try:
        start = datetime.fromisoformat(start_local).replace(tzinfo=ZoneInfo(zone))
    except ValueError:
        raise BadInput("waktu mulai tidak valid: gunakan tanggal dan jam") from None
    if repeat == "mingguan":
        return f"FREQ=WEEKLY;BYDAY={HARI_RRULE[start.weekday()]}"
    return f"FREQ=MONTHLY;BYMONTHDAY={start.day}"


def listing(config: Config, store: Store, person: Person, now: datetime
            ) -> list[dict[str, Any]]:
    """The person's services' windows that are not over (and those of the last 31 days)."""
    mine = [sid for sid in config.services if sid in person.services]
    if not mine:
        return []
    rows = []
    for w in store.maintenance(mine):
        if w.rrule is None and w.end_at < now - timedelta(days=31):
            continue
        rows.append(_row(config, person, w))
    return rows


def _row(config: Config, person: Person, w: MaintenanceWindow) -> dict[str, Any]:
    zone = config.services[w.services[0]].zone if w.services[0] in config.services \
        else config.settings.timezone
    approved = list(w.approvals)
    if w.cancelled_at is not None:
        status = "dibatalkan"
    elif w.late_reason is None:
        status = "terjadwal"
    else:
        why = ALASAN_TERLAMBAT.get(Late(w.late_reason), w.late_reason)
        status = f"terlambat ({why})" + ("; disetujui" if approved else
                                         "; menunggu persetujuan Penyedia Layanan")
    return {"id": w.id, "layanan": [config.services[s].name if s in config.services else s
                                    for s in w.services],
            "mulai": waktu(w.start_at, zone), "selesai": waktu(w.end_at, zone),
            "berulang": w.rrule, "alasan": w.reason, "status": status,
            "didaftarkan": waktu(w.registered_at, zone),
            "menunggu": w.late_reason is not None and not approved
            and w.cancelled_at is None,
            # only whether to offer the form: the room decides when it is used
            "boleh_setujui": rules.maintenance_approval(
                person.roles, person.eselon, person.services, w.services)[1] is None}

"""Formulir C — Rencana Keberlangsungan Layanan: the plan table from services.yaml."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from spbe_monitor.config.loader import Config
from spbe_monitor.regulation.roles import Role
from spbe_monitor.reports.penanda_tangan import block, senior
from spbe_monitor.reports.words import angka, jam_layanan, tanggal_hari


def lama(value: timedelta | None) -> str:
    """RTO/RPO the way the regulation writes them: `1 hari`, `4 jam`, `30 menit`."""
    if value is None:
        return "-"
    seconds = int(value.total_seconds())
    for size, unit in ((86400, "hari"), (3600, "jam"), (60, "menit")):
        if seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} detik"


def build(config: Config) -> dict[str, Any]:
    rows = []
    for i, svc in enumerate(config.services.values(), start=1):
        rows.append({
            "no": i, "layanan": svc.name, "penyedia_layanan": svc.provider,
            "klasifikasi": svc.klass.label,
            "ketersediaan": "-" if svc.availability_target is None else
            f"{angka(svc.availability_target, 2).rstrip('0').rstrip(',')}%",
            "rto": lama(svc.rto), "rpo": lama(svc.rpo),
            "jam_layanan": jam_layanan(svc.operating_hours, svc.zone),
        })
    people = config.people.values()
    plan = config.plan
    place = config.settings.reports.place
    adopted = (", ".join(x for x in (place, tanggal_hari(plan.adopted)) if x)
               if plan.adopted else "(belum ditetapkan)")
    return {"formulir": "C", "judul": "Rencana Keberlangsungan Layanan", "layanan": rows,
            "versi": str(plan.version),
            "ditetapkan": plan.adopted.isoformat() if plan.adopted else None,
            "berlaku_teks": tanggal_hari(plan.adopted) if plan.adopted else None,
            "tanda_tangan": {"tempat_tanggal": adopted, "blok": [
                block(senior(people, Role.KOORDINATOR_LAYANAN), "Disusun oleh",
                      "Koordinator Layanan"),
                block(senior(people, Role.PENYEDIA_LAYANAN), "Menetapkan",
                      "Penyedia Layanan")]}}

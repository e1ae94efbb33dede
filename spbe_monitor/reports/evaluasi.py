"""Formulir I, chapters C (Evaluasi Pemantauan dan Pemeliharaan Layanan) and D (Evaluasi
Pemulihan Layanan) for a semester. The semester figure is the sum of its months."""

from __future__ import annotations

from datetime import UTC
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from spbe_monitor.config.models import Service
from spbe_monitor.drp.status import RunStatus
from spbe_monitor.monthly import ServiceMonth
from spbe_monitor.reports.words import angka, tanggal

TIDAK_ADA_DRP = ("data tidak tersedia: belum ada pelaksanaan atau uji DRP yang tercatat "
                 "pada semester ini")


def semester_months(year: int, half: int) -> list[tuple[int, int]]:
    first = 1 if half == 1 else 7
    return [(year, m) for m in range(first, first + 6)]


def _met(value: bool | None) -> str:
    return {True: "tercapai", False: "tidak tercapai", None: "-"}[value]


def drp_rows(statuses: list[RunStatus], services: dict[str, Service], lo: str, hi: str
             ) -> list[dict[str, Any]]:
    """Chapter D: one row per run and service, for runs started within months `[lo, hi)`
    (YYYY-MM, in the service's zone, as every date an official reads)."""
    rows = []
    for st in statuses:
        for rec in st.services:
            svc = services.get(rec.service)
            zone = ZoneInfo(svc.zone) if svc else UTC
            if not lo <= f"{st.started_at.astimezone(zone):%Y-%m}" < hi:
                continue
            rows.append({
                "tanggal": tanggal(st.declared_at or st.started_at, str(zone)),
                "layanan": svc.name if svc else rec.service,
                "jenis": "Uji DRP" if st.mode == "drill" else "Pemulihan (bencana)",
                "status_run": st.state.value,
                "rto": _met(rec.rto_met), "rpo": _met(rec.rpo_met),
                "rto_detik": rec.rto_achieved, "rpo_detik": rec.rpo_achieved,
            })
    return rows


def build(year: int, half: int, months: dict[str, list[ServiceMonth]],
          drp_runs: list[dict[str, Any]]) -> dict[str, Any]:
    rows = []
    met = missed = 0
    for sid, figures in months.items():
        svc = figures[0].service
        committed = sum(f.figures.commitment_seconds for f in figures)
        down = sum(f.figures.downtime_seconds for f in figures)
        realised = None if committed == 0 else Fraction(committed - down, committed) * 100
        target = svc.availability_target
        ok = None if realised is None or target is None else realised >= Fraction(str(target))
        met += ok is True
        missed += ok is False
        rows.append({
            "layanan": svc.name, "id": sid, "klasifikasi": svc.klass.label,
            "target_persen": target,
            "realisasi_persen": None if realised is None else round(float(realised), 4),
            "realisasi_teks": "-" if realised is None else angka(float(realised), 4) + "%",
            "tercapai": ok, "bulan": [f.period for f in figures],
            "bulan_tidak_tercapai": [f.period for f in figures if f.figures.met(target) is False],
        })
    return {
        "formulir": "I", "judul": "Laporan Evaluasi Manajemen Layanan SPBE",
        "semester": f"{year}-{half}", "label": f"Semester {'I' if half == 1 else 'II'} {year}",
        "sebagian": any(f.partial for figures in months.values() for f in figures),
        "bab_c": {"judul": "Evaluasi Pemantauan dan Pemeliharaan Layanan", "layanan": rows,
                  "jumlah_tercapai": met, "jumlah_tidak_tercapai": missed},
        "bab_d": {"judul": "Evaluasi Pemulihan Layanan", "pelaksanaan": drp_runs,
                  "keterangan": None if drp_runs else TIDAK_ADA_DRP},
    }

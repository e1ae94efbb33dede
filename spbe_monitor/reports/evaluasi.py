"""Formulir I, chapters C (Evaluasi Pemantauan dan Pemeliharaan Layanan) and D (Evaluasi
Pemulihan Layanan) for a semester. The semester figure is the sum of its months."""

from __future__ import annotations

from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

from spbe_monitor.availability.formula import Figures, Verdict
from spbe_monitor.config.models import Service
from spbe_monitor.drp.status import RunStatus
from spbe_monitor.monthly import ServiceMonth
from spbe_monitor.reports.charts import BULAN_SINGKAT
from spbe_monitor.reports.words import angka, tanggal

PUTUSAN = {Verdict.MET: "Tercapai", Verdict.MISSED: "Tidak tercapai",
           Verdict.UNASSESSABLE: "Tidak dapat dinilai (cakupan pemantauan kurang)",
           Verdict.NOT_MONITORED: "Belum dipantau", Verdict.NO_TARGET: "Tanpa target"}
TIDAK_ADA_DRP = ("data tidak tersedia: belum ada pelaksanaan atau uji DRP yang tercatat "
                 "pada semester ini")


def semester_months(year: int, half: int) -> list[tuple[int, int]]:
    first = 1 if half == 1 else 7
    return [(year, m) for m in range(first, first + 6)]


def bulan(periods: list[str]) -> str:
    """`Jul, Agt, Sep`: months of one semester by their short names."""
    return ", ".join(BULAN_SINGKAT[int(p[5:7]) - 1] for p in periods)


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
    counts = dict.fromkeys(Verdict, 0)
    for sid, figures in months.items():
        svc = figures[0].service
        semester = Figures(*(sum(getattr(f.figures, name) for f in figures)
                             for name in Figures.__slots__))
        verdict = semester.verdict(svc.availability_target, figures[0].min_coverage)
        counts[verdict] += 1
        realised = semester.availability_percent
        missed_months = [f.period for f in figures if f.verdict is Verdict.MISSED]
        blind_months = [f.period for f in figures if f.verdict in (Verdict.UNASSESSABLE,
                                                                    Verdict.NOT_MONITORED)]
        rows.append({
            "layanan": svc.name, "id": sid, "klasifikasi": svc.klass.label,
            "target_persen": svc.availability_target,
            "realisasi_persen": realised,
            "realisasi_teks": "-" if realised is None else angka(realised, 4) + "%",
            "cakupan_persen": semester.coverage_percent,
            "tercapai": {Verdict.MET: True, Verdict.MISSED: False}.get(verdict),
            "putusan": verdict.value, "putusan_teks": PUTUSAN[verdict],
            "bulan": [f.period for f in figures],
            "bulan_tidak_tercapai": missed_months,
            "bulan_tidak_tercapai_teks": bulan(missed_months),
            "bulan_tidak_dapat_dinilai": blind_months,
            "bulan_tidak_dapat_dinilai_teks": bulan(blind_months),
        })

    met, missed = counts[Verdict.MET], counts[Verdict.MISSED]
    unassessable = counts[Verdict.UNASSESSABLE] + counts[Verdict.NOT_MONITORED]
    return {
        "formulir": "I", "judul": "Laporan Evaluasi Manajemen Layanan SPBE",
        "semester": f"{year}-{half}", "label": f"Semester {'I' if half == 1 else 'II'} {year}",
        "sebagian": any(f.partial or len(figures) < 6 for figures in months.values()
                        for f in figures),
        "sementara": any(f.partial or len(figures) < 6 for figures in months.values()
                         for f in figures),
        "bab_c": {"judul": "Evaluasi Pemantauan dan Pemeliharaan Layanan", "layanan": rows,
                  "jumlah_tercapai": met, "jumlah_tidak_tercapai": missed,
                  "jumlah_tidak_dapat_dinilai": unassessable},
        "bab_d": {"judul": "Evaluasi Pemulihan Layanan", "pelaksanaan": drp_runs,
                  "keterangan": None if drp_runs else TIDAK_ADA_DRP},
    }

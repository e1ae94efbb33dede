"""Formulir I, chapters C (Evaluasi Pemantauan dan Pemeliharaan Layanan) and D (Evaluasi
Pemulihan Layanan) for a semester. The semester figure is the sum of its months."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from spbe_monitor.availability.formula import Figures, Verdict
from spbe_monitor.config.loader import Config
from spbe_monitor.config.models import Service
from spbe_monitor.drp.status import Recovery, RunState, RunStatus
from spbe_monitor.errors import BadInput
from spbe_monitor.ledger.store import Store
from spbe_monitor.monthly import ServiceMonth, figures_for_month
from spbe_monitor.reports.evaluasi_catatan import (
    Notes,
    evaluation,
    monitoring_findings,
    recovery_findings,
)
from spbe_monitor.reports.words import BULAN_SINGKAT, angka, durasi, durasi_tepat, tanggal

PUTUSAN = {Verdict.MET: "Tercapai", Verdict.MISSED: "Tidak tercapai",
           Verdict.UNASSESSABLE: "Tidak dapat dinilai (cakupan pemantauan kurang)",
           Verdict.NOT_MONITORED: "Belum dipantau", Verdict.NO_TARGET: "Tanpa target"}
TIDAK_ADA_DRP = ("data tidak tersedia: belum ada pelaksanaan atau uji DRP yang tercatat "
                 "pada semester ini")


def semester_months(year: int, half: int) -> list[tuple[int, int]]:
    first = 1 if half == 1 else 7
    return [(year, m) for m in range(first, first + 6)]


def semester_figures(config: Config, store: Store, year: int, half: int, now: datetime
                     ) -> tuple[dict[str, list[ServiceMonth]], bool]:
    """Each service's months of the semester that have started, and whether the semester
    is unfinished (a month still running or not begun)."""
    ids = list(config.services)
    months: dict[str, list[ServiceMonth]] = {sid: [] for sid in ids}
    for y, m in semester_months(year, half):
        try:
            for fig in figures_for_month(config, store, y, m, ids, now):
                months[fig.service.id].append(fig)
        except BadInput:  # not started yet
            continue
    if not any(months.values()):
        raise BadInput(f"semester {year}-{half} has not started yet")
    unfinished = any(f.partial for figures in months.values() for f in figures) or any(
        len(figures) < 6 for figures in months.values())
    return months, unfinished


def bulan(periods: list[str]) -> str:
    """`Jul, Agt, Sep`: months of one semester by their short names."""
    return ", ".join(BULAN_SINGKAT[int(p[5:7]) - 1] for p in periods)


def _met(value: bool | None) -> str:
    return {True: "tercapai", False: "tidak tercapai", None: "-"}[value]


def _lama(seconds: float | None, exact: bool = False) -> str:
    if seconds is None:
        return "-"
    return durasi_tepat(seconds) if exact else durasi(seconds)


def _gap(st: RunStatus, rec: Recovery) -> str:
    """Why a figure is missing or missed, in words."""
    said = []
    if st.state is RunState.ABORTED:
        said.append(f"dihentikan: {st.reason or 'tanpa alasan tercatat'}")
    elif st.state is RunState.RUNNING:
        said.append("masih berjalan")
    if rec.rto_achieved is None and st.state is not RunState.RUNNING:
        said.append("RTO tidak terukur: layanan tidak tercatat pulih di situs sekunder "
                    "(langkah wait_healthy tidak ada atau tidak selesai)")
    elif rec.rto_met is False:
        assert rec.rto_achieved is not None and rec.rto_target is not None
        said.append(f"RTO terlewati {durasi_tepat(rec.rto_achieved - rec.rto_target)}")
    if rec.rpo_achieved is None and st.state is not RunState.RUNNING:
        said.append("RPO tidak terukur: tidak ada langkah recovery_point")
    elif rec.rpo_met is False:
        assert rec.rpo_achieved is not None and rec.rpo_target is not None
        said.append(f"RPO terlewati {durasi_tepat(rec.rpo_achieved - rec.rpo_target)}")
    return "; ".join(said) or "-"


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
                "rto_target_teks": _lama(rec.rto_target),
                "rto_capaian_teks": _lama(rec.rto_achieved, exact=True),
                "rpo_target_teks": _lama(rec.rpo_target),
                "rpo_capaian_teks": _lama(rec.rpo_achieved, exact=True),
                "terpenuhi": rec.rto_met is True and rec.rpo_met is not False,
                "keterangan": _gap(st, rec),
            })
    return rows


def build(year: int, half: int, months: dict[str, list[ServiceMonth]],
          drp_runs: list[dict[str, Any]], notes: Notes | None = None,
          signing: dict[str, Any] | None = None) -> dict[str, Any]:
    rows = []
    counts = dict.fromkeys(Verdict, 0)
    for sid, figures in months.items():
        svc = figures[0].service
        semester = Figures.summed([f.figures for f in figures])
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
    unfinished = any(f.partial or len(figures) < 6 for figures in months.values()
                     for f in figures)
    unassessable = counts[Verdict.UNASSESSABLE] + counts[Verdict.NOT_MONITORED]
    return {
        "formulir": "I", "judul": "Laporan Evaluasi Manajemen Layanan SPBE",
        "semester": f"{year}-{half}", "label": f"Semester {'I' if half == 1 else 'II'} {year}",
        "sebagian": unfinished,
        "sementara": unfinished,  # SEMENTARA on every page (base template)
        "bab_c": {"judul": "Evaluasi Pemantauan dan Pemeliharaan Layanan", "layanan": rows,
                  "jumlah_tercapai": met, "jumlah_tidak_tercapai": missed,
                  "jumlah_tidak_dapat_dinilai": unassessable,
                  **evaluation(monitoring_findings(rows), (notes or Notes()).bab_c)},
        "bab_d": {"judul": "Evaluasi Pemulihan Layanan", "pelaksanaan": drp_runs,
                  "jumlah_terpenuhi": sum(1 for r in drp_runs if r["terpenuhi"]),
                  "jumlah_tidak_terpenuhi": sum(1 for r in drp_runs if not r["terpenuhi"]),
                  "keterangan": None if drp_runs else TIDAK_ADA_DRP,
                  **evaluation(recovery_findings(drp_runs), (notes or Notes()).bab_d)},
        "tanda_tangan": signing or {"tempat_tanggal": None, "blok": []},
    }

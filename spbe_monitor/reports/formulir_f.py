"""Formulir F — Laporan Ketersediaan Layanan: the data, as a pure function of ledger rows.

The availability numbers are the same object `spbe availability --json` prints, so the
report and the command can never disagree."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from spbe_monitor.availability.calendar import commitment, month_bounds
from spbe_monitor.availability.formula import Notice, Window
from spbe_monitor.availability.intervals import Spans, intersect, merge, subtract, total
from spbe_monitor.config.models import Person
from spbe_monitor.ledger.store import MaintenanceWindow, UtilisationHour
from spbe_monitor.monitor.rollup import p95
from spbe_monitor.monthly import window_for
from spbe_monitor.reports.inputs import FormInputs
from spbe_monitor.reports.insights import (
    maintenance_overruns,
    recurring_causes,
    storage_full,
    sustained_load,
)
from spbe_monitor.reports.words import angka, durasi, periode, waktu, zona

TIDAK_TERSEDIA = "data tidak tersedia"
METRICS = {  # probe value → (label, unit)
    "cpu_used_percent": ("CPU", "%"),
    "memory_used_percent": ("RAM", "%"),
    "disk_used_percent": ("Penyimpanan", "%"),
    "inode_used_percent": ("Inode", "%"),
    "net_rx_bytes_per_second": ("Jaringan masuk", "B/s"),
    "net_tx_bytes_per_second": ("Jaringan keluar", "B/s"),
    "net_rx_bits_per_second": ("Bandwidth masuk", "bit/s"),
    "net_tx_bits_per_second": ("Bandwidth keluar", "bit/s"),
    "bandwidth_used_percent": ("Utilisasi bandwidth", "%"),
}


def _person(p: Person | None) -> dict[str, str] | None:
    return None if p is None else {"nama": p.name, "nip": p.nip, "jabatan": p.position}


def _windows(windows: list[MaintenanceWindow], sid: str, notice: Notice) -> list[Window]:
    return [window_for(w, sid, notice) for w in windows]


def _utilisation(rows: list[UtilisationHour], kinds: dict[str, str], zone: str
                 ) -> dict[str, Any]:
    if not rows:
        return {"tersedia": False, "keterangan": f"{TIDAK_TERSEDIA}: layanan ini tidak "
                "memiliki komponen server, penyimpanan atau jaringan yang dipantau, atau "
                "belum ada pengukuran bulan ini"}
    grouped: dict[tuple[str, str], list[UtilisationHour]] = defaultdict(list)
    for r in rows:
        grouped[(r.probe_id, r.metric)].append(r)
    components: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (probe, metric), series in sorted(grouped.items()):
        base, _, suffix = metric.partition(":")
        if base not in METRICS:
            continue
        label, unit = METRICS[base]
        samples = sum(r.samples for r in series)
        peak = max(series, key=lambda r: r.max)
        components[probe].append({
            "metrik": metric, "nama": f"{label} {suffix}".strip(), "satuan": unit,
            "rata_rata": round(sum(r.avg * r.samples for r in series) / samples, 3),
            "p95": round(p95([r.p95 for r in series]), 3),
            "puncak": round(peak.max, 3), "waktu_puncak": peak.max_at.isoformat(),
            "waktu_puncak_teks": waktu(peak.max_at, zone), "jam_teramati": len(series),
        })
    return {"tersedia": True, "keterangan": "p95 dihitung dari nilai p95 per jam",
            "komponen": [{"probe": p, "jenis": kinds.get(p, ""), "metrik": m}
                         for p, m in sorted(components.items())]}


def _outages(inputs: FormInputs, commit: Spans, lo: int, hi: int,
             excusing: Spans) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each outage with its counted and excused seconds; causes ranked by the downtime they
    contributed (overlaps attributed once, to the earlier outage)."""
    zone = inputs.service.zone
    until = int(inputs.generated_for.timestamp())
    rows: list[dict[str, Any]] = []
    causes: dict[str, dict[str, int]] = defaultdict(lambda: {"downtime_detik": 0, "jumlah": 0})
    claimed: Spans = []
    for o in sorted(inputs.outages, key=lambda o: (o.start_at, o.id)):
        s = int(o.start_at.timestamp())
        e = int(o.end_at.timestamp()) if o.end_at else until
        inside = intersect(merge([(max(s, lo), min(e, hi))]), commit)
        counted = subtract(inside, excusing) if o.impact == "mayor" else []
        fresh = subtract(counted, claimed)
        claimed = merge([*claimed, *counted])
        excused = total(inside) - total(counted) if o.impact == "mayor" else 0
        rows.append({
            "id": o.id, "mulai": o.start_at.isoformat(), "mulai_teks": waktu(o.start_at, zone),
            "selesai": o.end_at.isoformat() if o.end_at else None,
            "durasi_detik": e - s, "durasi_teks": durasi(e - s),
            "dampak": o.impact, "prioritas": o.priority,
            "penyebab": o.cause or "tidak diketahui", "sumber": o.source,
            "dihitung_detik": total(counted), "dimaafkan_detik": excused,
            "status": ("dimaafkan (pemeliharaan terjadwal)" if excused and not counted else
                       "sebagian dimaafkan" if excused else
                       "terdegradasi (tidak dihitung)" if o.impact != "mayor" else
                       "dihitung"),
            "ditutup_tanpa_pengamatan": o.closed_unobserved,
        })
        if o.impact == "mayor":
            c = causes[o.cause or "tidak diketahui"]
            c["downtime_detik"] += total(fresh)
            c["jumlah"] += 1
    order = sorted((k for k, v in causes.items() if v["downtime_detik"] > 0),
                   key=lambda k: (-causes[k]["downtime_detik"], k))
    ranked = [{"penyebab": k, **causes[k], "downtime_teks": durasi(causes[k]["downtime_detik"])}
              for k in order]
    return rows, ranked


def build(inputs: FormInputs) -> dict[str, Any]:
    svc = inputs.service
    zone = svc.zone
    fig = inputs.month_figures
    figures = fig.as_json()
    lo, hi = month_bounds(inputs.year, inputs.month, ZoneInfo(zone))
    until = min(hi, int(inputs.generated_for.timestamp()))
    commit = intersect(commitment(svc.operating_hours, zone, inputs.year, inputs.month),
                       [(lo, until)])
    wins = _windows(inputs.windows, svc.id, inputs.notice)
    down = merge(s for o in inputs.outages if o.impact == "mayor" for s in o.spans(until))
    excusing = merge(o for w in wins for o in w.excusing(lo, until, down))
    outages, causes = _outages(inputs, commit, lo, until, excusing)
    observed = fig.figures.coverage_percent
    pencapaian: dict[str, Any] = {
        "tersedia": bool(observed) or bool(inputs.outages),
        "realisasi_persen": figures["availability_percent"],
        "realisasi_teks": "-" if figures["availability_percent"] is None else
        angka(figures["availability_percent"], 4) + "%",
        "target_persen": svc.availability_target,
        "tercapai": figures["met"],
        "cakupan_pemantauan_persen": observed,
        "tren": [{"periode": t.period, "label": periode(*map(int, t.period.split("-"))),
                  # a month with nothing observed and nothing recorded has no figure to show
                  "realisasi_persen": t.figures.availability_percent if (
                      t.figures.coverage_percent or t.figures.downtime_seconds) else None,
                  "cakupan_persen": t.figures.coverage_percent} for t in inputs.trend],
        "gangguan": outages,
        "penyebab_tidak_tercapai": causes if figures["met"] is False else [],
        "penyebab_downtime": causes,
    }
    if not pencapaian["tersedia"]:
        pencapaian["keterangan"] = (f"{TIDAK_TERSEDIA}: tidak ada pengamatan maupun gangguan "
                                    "tercatat dalam ledger untuk bulan ini")
    peluang = [
        *storage_full(inputs.utilisation, zone),
        *sustained_load(inputs.utilisation),
        *recurring_causes(inputs.outages),
        *maintenance_overruns(inputs.outages, excusing, zone),
    ]
    if figures["met"] is False and causes:
        top = causes[0]
        peluang.insert(0, {
            "jenis": "target_tidak_tercapai",
            "uraian": f"Target {angka(svc.availability_target or 0, 2)}% tidak tercapai; "
                      f"penyebab terbesar \u201c{top['penyebab']}\u201d ({top['downtime_teks']}). "
                      "Prioritaskan pencegahannya bulan depan.",
            "angka": {"target_persen": svc.availability_target,
                      "realisasi_persen": figures["availability_percent"],
                      "penyebab": top["penyebab"], "downtime_detik": top["downtime_detik"]}})
    return {
        "formulir": "F",
        "judul": "Laporan Ketersediaan Layanan",
        "layanan": {"id": svc.id, "nama": svc.name, "penyedia_layanan": svc.provider,
                    "klasifikasi": svc.klass.label, "tim_teknis": svc.technical_team,
                    "zona_waktu": f"{zone} ({zona(zone)})"},
        "periode": {"bulan": fig.period, "label": periode(inputs.year, inputs.month),
                    "sebagian": fig.partial,
                    "sampai": inputs.generated_for.isoformat() if fig.partial else None,
                    "sampai_teks": waktu(inputs.generated_for, zone) if fig.partial else None},
        "angka_ketersediaan": figures,
        "komitmen_teks": durasi(figures["commitment_seconds"]),
        "downtime_teks": durasi(figures["downtime_seconds"]),
        "utilisasi": _utilisation(inputs.utilisation, inputs.host_kinds, zone),
        "pencapaian": pencapaian,
        "peluang_peningkatan": peluang,
        "tanda_tangan": {"disiapkan_oleh": _person(inputs.prepared_by),
                         "mengetahui": _person(inputs.acknowledged_by)},
    }

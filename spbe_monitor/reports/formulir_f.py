"""Formulir F — Laporan Ketersediaan Layanan: the data, as a pure function of ledger rows.

The availability numbers are the same object `spbe availability --json` prints, so the
report and the command can never disagree."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from spbe_monitor.availability.formula import Verdict
from spbe_monitor.availability.intervals import merge
from spbe_monitor.ledger.store import UtilisationHour
from spbe_monitor.monitor.rollup import p95
from spbe_monitor.monthly import ServiceMonth
from spbe_monitor.reports.inputs import FormInputs
from spbe_monitor.reports.insights import (
    maintenance_overruns,
    recurring_causes,
    storage_full,
    sustained_load,
)
from spbe_monitor.reports.penanda_tangan import block
from spbe_monitor.reports.rincian import outage_rows, window_rows
from spbe_monitor.reports.words import (
    angka,
    bilangan,
    durasi_tepat,
    jam,
    periode,
    tanggal,
    waktu,
    zona,
)

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


def verdict_text(month: ServiceMonth) -> str:
    """The month's verdict in the words an official signs."""
    v = month.verdict
    coverage = month.figures.coverage_percent
    return {Verdict.MET: "Tercapai", Verdict.MISSED: "Tidak tercapai",
            Verdict.UNASSESSABLE: "Tidak dapat dinilai — cakupan pemantauan "
            f"{angka(coverage or 0, 2)}% (minimum {angka(month.min_coverage, 0)}%)",
            Verdict.NOT_MONITORED: "Belum dipantau",
            Verdict.NO_TARGET: "Tanpa target"}[v]


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


def build(inputs: FormInputs) -> dict[str, Any]:
    svc = inputs.service
    zone = svc.zone
    fig = inputs.month_figures
    figures = fig.as_json()
    until = int(inputs.generated_for.timestamp())
    shares = fig.shares
    outages, causes = outage_rows(inputs.outages, shares.outages, until, zone)
    names = {n: p.name for n, p in inputs.people.items()}
    windows = window_rows(inputs.windows, shares.windows, svc.id, names, zone)
    excusing = merge((o.start, o.end) for w in shares.windows for o in w.occurrences
                     if o.excusing)
    observed = fig.figures.coverage_percent
    pencapaian: dict[str, Any] = {
        "tersedia": fig.verdict is not Verdict.NOT_MONITORED,
        "realisasi_persen": figures["availability_percent"],
        "realisasi_teks": "-" if figures["availability_percent"] is None else
        angka(figures["availability_percent"], 4) + "%",
        "target_persen": svc.availability_target,
        "tercapai": figures["met"],
        "putusan": fig.verdict.value,
        "putusan_teks": verdict_text(fig),
        "cakupan_pemantauan_persen": observed,
        "tren": [{"periode": t.period, "label": periode(*map(int, t.period.split("-"))),
                  # a month nobody watched has no figure to show
                  "realisasi_persen": None if t.verdict is Verdict.NOT_MONITORED
                  else t.figures.availability_percent,
                  "cakupan_persen": t.figures.coverage_percent,
                  "putusan": t.verdict.value} for t in inputs.trend],
        "gangguan": outages,
        "jumlah_gangguan": {
            key: sum(g[key] for g in outages)
            for key in ("durasi_detik", "dalam_jam_layanan_detik", "dikecualikan_detik",
                        "diperhitungkan_detik")},
        "pemeliharaan": windows,
        "penyebab_tidak_tercapai": causes if figures["met"] is False else [],
        "penyebab_downtime": causes,
    }
    if not pencapaian["tersedia"]:
        pencapaian["keterangan"] = (f"{TIDAK_TERSEDIA}: tidak ada pengamatan maupun gangguan "
                                    "tercatat dalam ledger untuk bulan ini (belum dipantau)")
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
        "sementara": fig.partial,  # SEMENTARA on every page
        "layanan": {"id": svc.id, "nama": svc.name, "penyedia_layanan": svc.provider,
                    "klasifikasi": svc.klass.label, "pengelola_teknis": svc.technical_team,
                    "zona_waktu": f"{zone} ({zona(zone)})"},
        "periode": {"bulan": fig.period, "label": periode(inputs.year, inputs.month),
                    "sebagian": fig.partial,
                    "sampai": inputs.generated_for.isoformat() if fig.partial else None,
                    "sampai_teks": waktu(inputs.generated_for, zone) if fig.partial else None},
        "angka_ketersediaan": figures,
        "komitmen_teks": jam(figures["commitment_seconds"]),
        "rincian_detik": {key: bilangan(figures[f"{key}_seconds"]) for key in (
            "commitment", "downtime", "excused", "maintenance", "unmonitored")},
        "downtime_teks": durasi_tepat(figures["downtime_seconds"]),
        "dikecualikan_teks": durasi_tepat(figures["excused_seconds"]),
        "pemeliharaan_teks": durasi_tepat(figures["maintenance_seconds"]),
        "tidak_terpantau_teks": durasi_tepat(figures["unmonitored_seconds"]),
        "utilisasi": _utilisation(inputs.utilisation, inputs.host_kinds, zone),
        "pencapaian": pencapaian,
        "peluang_peningkatan": peluang,
        "tanda_tangan": {"tempat_tanggal": ", ".join(x for x in (
                             inputs.place, tanggal(inputs.generated_for, zone)) if x),
                         "blok": [block(inputs.prepared_by, "Disiapkan oleh",
                                        "Pengelola Teknis"),
                                  block(inputs.acknowledged_by, "Mengetahui",
                                        "Penyedia Layanan")]},
    }

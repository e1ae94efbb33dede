"""Formulir F — Laporan Ketersediaan Layanan: the data, as a pure function of ledger rows.

The availability numbers are the same object `spbe availability --json` prints, so the
report and the command can never disagree."""

from __future__ import annotations

from datetime import date
from typing import Any

from spbe_monitor.availability.formula import Figures, Verdict
from spbe_monitor.availability.intervals import merge
from spbe_monitor.availability.sites import label as site_label
from spbe_monitor.monthly import ServiceMonth
from spbe_monitor.reports.inputs import FormInputs
from spbe_monitor.reports.insights import (
    maintenance_overruns,
    recurring_causes,
    storage_full,
    sustained_load,
)
from spbe_monitor.reports.penanda_tangan import block
from spbe_monitor.reports.rincian import outage_rows, planned, window_rows
from spbe_monitor.reports.utilisasi import section_a
from spbe_monitor.reports.words import (
    BULAN_SINGKAT,
    angka,
    bilangan,
    durasi_tepat,
    jam,
    periode,
    tanggal,
    tanggal_hari,
    waktu,
    waktu_detik,
    zona,
)

TIDAK_TERSEDIA = "data tidak tersedia"
KAPASITAS = {"kapasitas_penyimpanan", "peningkatan_kapasitas"}  # the second heading of C


def verdict_text(month: ServiceMonth) -> str:
    """The month's verdict in the words an official signs."""
    v = month.verdict
    coverage = month.figures.coverage_percent
    if v is Verdict.MISSED and (coverage or 0) < month.min_coverage:
        return ("Tidak tercapai — meskipun seluruh waktu tidak terpantau dihitung tersedia "
                f"(cakupan pemantauan {angka(coverage or 0, 2)}%, minimum "
                f"{angka(month.min_coverage, 0)}%)")
    return {Verdict.MET: "Tercapai", Verdict.MISSED: "Tidak tercapai",
            Verdict.UNASSESSABLE: "Tidak dapat dinilai — cakupan pemantauan "
            f"{angka(coverage or 0, 2)}% (minimum {angka(month.min_coverage, 0)}%)",
            Verdict.NOT_MONITORED: "Belum dipantau",
            Verdict.NO_TARGET: "Tanpa target"}[v]


def _compared(asked: list[ServiceMonth]) -> dict[str, Any] | None:
    """Several months as one figure (their sums), with its verdict: last month, or the year
    to date — of the months someone watched; how many were left out is said."""
    months = [m for m in asked if m.verdict is not Verdict.NOT_MONITORED]
    if not months:
        return None
    total = Figures.summed([m.figures for m in months])
    verdict = total.verdict(months[0].service.availability_target, months[0].min_coverage)
    first, last = months[0].period, months[-1].period
    label = periode(*map(int, first.split("-"))) if first == last else (
        f"{BULAN_SINGKAT[int(first[5:7]) - 1]}–{BULAN_SINGKAT[int(last[5:7]) - 1]} "
        f"{last[:4]}")
    pct = total.availability_percent
    skipped = len(asked) - len(months)
    return {"label": label, "realisasi_persen": pct,
            "realisasi_teks": "-" if pct is None or verdict is Verdict.NOT_MONITORED
            else angka(pct, 4) + "%", "putusan": verdict.value,
            "bulan_dihitung": len(months), "bulan_belum_dipantau": skipped}


def build(inputs: FormInputs) -> dict[str, Any]:
    svc = inputs.service
    zone = svc.zone
    fig = inputs.month_figures
    figures = fig.as_json()
    until = int(inputs.generated_for.timestamp())
    shares = fig.shares
    outages, causes = outage_rows(inputs.outages, shares.outages, until, zone,
                                  len(inputs.locations))
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
        "bulan_lalu": _compared(inputs.trend[-2:-1]),
        "tahun_berjalan": _compared([t for t in inputs.trend
                                     if t.period[:4] == fig.period[:4]]),
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
                    "zona_waktu": f"{zone} ({zona(zone)})",
                    "dipantau_dari": list(inputs.locations)},
        "periode": {"bulan": fig.period, "label": periode(inputs.year, inputs.month),
                    "sebagian": fig.partial,
                    "sampai": inputs.generated_for.isoformat() if fig.partial else None,
                    "sampai_teks": waktu(inputs.generated_for, zone) if fig.partial else None},
        "angka_ketersediaan": figures,
        "komitmen_teks": jam(figures["commitment_seconds"]),
        # the days off that took operating time out of the month, with their source
        "hari_libur": [{**d, "tanggal_teks": tanggal_hari(date.fromisoformat(d["tanggal"]))}
                       for d in fig.days_off],
        # a DRP failover: the service was judged on the site that served it then
        "dilayani_dari": [{"situs": site_label(a.site), "dari": waktu_detik(a.start, zone),
                           "sampai": waktu_detik(a.until, zone), "berlanjut": a.goes_on}
                          for a in fig.served_away],
        "rincian_detik": {key: bilangan(figures[f"{key}_seconds"]) for key in (
            "commitment", "downtime", "excused", "maintenance", "unmonitored")},
        "downtime_teks": durasi_tepat(figures["downtime_seconds"]),
        "dikecualikan_teks": durasi_tepat(figures["excused_seconds"]),
        "pemeliharaan_teks": durasi_tepat(figures["maintenance_seconds"]),
        "tidak_terpantau_teks": durasi_tepat(figures["unmonitored_seconds"]),
        "utilisasi": section_a(inputs.reported, inputs.kinds,
                               inputs.component_availability, inputs.utilisation,
                               inputs.utilisation_before, zone,
                               {pid: site_label(site)
                                for pid, site in inputs.away_components.items()}),
        "pencapaian": pencapaian,
        "peluang_peningkatan": peluang,
        "rencana": [
            {"judul": "Rencana Pemeliharaan Perangkat", "butir": [
                *planned(inputs.windows, svc.id, inputs.notice, inputs.year, inputs.month,
                         zone),
                *(p for p in peluang if p["jenis"] not in KAPASITAS)]},
            {"judul": "Rencana Peningkatan Spesifikasi/Kapasitas",
             "butir": [p for p in peluang if p["jenis"] in KAPASITAS]}],
        "tanda_tangan": {"tempat_tanggal": ", ".join(x for x in (
                             inputs.place, tanggal(inputs.generated_for, zone)) if x),
                         "blok": [block(inputs.prepared_by, "Disiapkan oleh",
                                        "Pengelola Teknis"),
                                  block(inputs.acknowledged_by, "Mengetahui",
                                        "Penyedia Layanan")]},
    }

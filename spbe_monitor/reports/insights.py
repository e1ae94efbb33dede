"""Peluang Peningkatan Ketersediaan, derived from evidence, each with the numbers behind it.

Pure: takes the month's hourly utilisation, outages and maintenance occurrences."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from spbe_monitor.ledger.store import Outage, UtilisationHour
from spbe_monitor.reports.words import angka, durasi_tepat, tanggal, waktu

HIGH_LOAD = 80.0  # percent
SUSTAINED_SHARE = 0.25  # of the month's hours
RECURRING = 3  # outages with the same cause
FULL_HORIZON_DAYS = 365


def _series(rows: Sequence[UtilisationHour]) -> dict[tuple[str, str], list[UtilisationHour]]:
    out: dict[tuple[str, str], list[UtilisationHour]] = defaultdict(list)
    for r in rows:
        out[(r.probe_id, r.metric)].append(r)
    return out


def _slope_per_day(rows: Sequence[UtilisationHour]) -> tuple[float, float]:
    """Least-squares line through the hourly averages: (percent per day, last fitted)."""
    xs = [(r.hour - rows[0].hour).total_seconds() / 86400 for r in rows]
    ys = [r.avg for r in rows]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    var = sum((x - mx) ** 2 for x in xs)
    if var == 0:
        return 0.0, ys[-1]
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var
    return slope, my + slope * (xs[-1] - mx)


def storage_full(rows: Sequence[UtilisationHour], zone: str) -> list[dict[str, Any]]:
    out = []
    for (probe, metric), series in sorted(_series(rows).items()):
        if not metric.startswith("disk_used_percent") or len(series) < 24:
            continue
        slope, now_pct = _slope_per_day(series)
        if slope <= 0:
            continue
        days = (100.0 - now_pct) / slope
        if days > FULL_HORIZON_DAYS:
            continue
        full = series[-1].hour + timedelta(days=days)
        mount = metric.partition(":")[2]
        where = f"{mount} pada {probe}" if mount else probe
        out.append({
            "jenis": "kapasitas_penyimpanan",
            "uraian": f"Penyimpanan {where} diperkirakan penuh sekitar "
                      f"{tanggal(full, zone)}; rencanakan penambahan kapasitas atau "
                      "pembersihan data sebelum tanggal itu.",
            "angka": {"komponen": probe, "mount": mount or None,
                      "terpakai_persen": round(now_pct, 2),
                      "pertumbuhan_persen_per_hari": round(slope, 3),
                      "perkiraan_penuh": full.astimezone(UTC).isoformat()},
        })
    return out


def sustained_load(rows: Sequence[UtilisationHour]) -> list[dict[str, Any]]:
    out = []
    names = {"cpu_used_percent": "CPU", "memory_used_percent": "RAM"}
    for (probe, metric), series in sorted(_series(rows).items()):
        if metric not in names or not series:
            continue
        busy = sum(1 for r in series if r.avg > HIGH_LOAD)
        share = busy / len(series)
        if share < SUSTAINED_SHARE:
            continue
        out.append({
            "jenis": "peningkatan_kapasitas",
            "uraian": f"{names[metric]} {probe} di atas {angka(HIGH_LOAD, 0)}% selama "
                      f"{busy} dari {len(series)} jam ({angka(100 * share, 1)}%); pertimbangkan "
                      "peningkatan spesifikasi atau pembagian beban.",
            "angka": {"komponen": probe, "metrik": metric, "jam_di_atas_ambang": busy,
                      "jam_teramati": len(series), "ambang_persen": HIGH_LOAD,
                      "puncak_persen": round(max(r.max for r in series), 2)},
        })
    return out


def _cause_key(cause: str | None) -> str:
    return " ".join((cause or "tidak diketahui").lower().split())


def recurring_causes(outages: Sequence[Outage]) -> list[dict[str, Any]]:
    groups: dict[str, list[Outage]] = defaultdict(list)
    for o in outages:
        if o.impact == "mayor":
            groups[_cause_key(o.cause)].append(o)
    out = []
    for cause, items in sorted(groups.items()):
        if len(items) >= RECURRING and cause != "tidak diketahui":
            out.append({
                "jenis": "analisis_akar_masalah",
                "uraian": f"Penyebab \u201c{items[0].cause}\u201d berulang {len(items)} kali bulan "
                          "ini; lakukan analisis akar masalah (root cause analysis).",
                "angka": {"penyebab": items[0].cause, "kejadian": len(items)},
            })
    return out


def maintenance_overruns(outages: Sequence[Outage], occurrences: Sequence[tuple[int, int]],
                         zone: str) -> list[dict[str, Any]]:
    """An outage that began inside a maintenance window and outlasted it."""
    out = []
    for start, end in occurrences:
        for o in outages:
            if o.end_at is None:
                continue
            s, e = int(o.start_at.timestamp()), int(o.end_at.timestamp())
            if start <= s < end < e:
                over = e - end
                out.append({
                    "jenis": "perencanaan_pemeliharaan",
                    "uraian": f"Pemeliharaan {waktu(datetime.fromtimestamp(start, UTC), zone)} "
                              f"melampaui jadwalnya {durasi_tepat(over)}; perbaiki perencanaan "
                              "durasi atau langkah pemulihan.",
                    "angka": {"jendela_mulai": datetime.fromtimestamp(start, UTC).isoformat(),
                              "jendela_selesai": datetime.fromtimestamp(end, UTC).isoformat(),
                              "lewat_detik": over},
                })
    return out

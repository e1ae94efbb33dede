"""The rows behind Formulir F's headline: each outage and each maintenance window with the
seconds the formula attributed to it (`availability/attribution.py`), in words. Nothing is
recomputed here, so the Diperhitungkan column sums to the downtime and Dikecualikan to the
excused time, to the second."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from spbe_monitor.availability.attribution import OutageShare, WindowShare
from spbe_monitor.availability.calendar import month_after, month_bounds
from spbe_monitor.availability.formula import Late, Notice
from spbe_monitor.availability.intervals import merge, total
from spbe_monitor.ledger.store import MaintenanceWindow, Outage
from spbe_monitor.monthly import window_for
from spbe_monitor.reports.words import durasi_tepat, waktu

ALASAN_TERLAMBAT = {
    Late.NOTICE: "didaftarkan kurang dari batas pemberitahuan sebelum dimulai",
    Late.TOO_LONG: "lebih lama dari durasi maksimum pemeliharaan",
    Late.DURING_OUTAGE: "didaftarkan saat gangguan yang akan dikecualikan sedang berlangsung",
}


def outage_rows(outages: list[Outage], shares: tuple[OutageShare, ...], until: int,
                zone: str, places: int = 1
                ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each outage with its attribution, and causes ranked by the downtime they carry;
    observed from several `places`, where each was seen from."""
    by_id = {s.key: s for s in shares}
    rows: list[dict[str, Any]] = []
    causes: dict[str, dict[str, int]] = defaultdict(lambda: {"downtime_detik": 0, "jumlah": 0})
    for o in sorted(outages, key=lambda o: (o.start_at, o.id)):
        share = by_id.get(o.id) if o.impact == "mayor" else None
        length = total(merge(o.spans(until)))
        end = int(o.end_at.timestamp()) if o.end_at else until
        unobserved = end - int(o.start_at.timestamp()) - length
        notes = []
        if o.impact != "mayor":
            notes.append("terdegradasi: layanan tetap tersedia, tidak diperhitungkan")
        if unobserved > 0:
            notes.append(f"{durasi_tepat(unobserved)} tidak teramati (pemantau berhenti)")
        if share is not None:
            if length > share.in_period:
                notes.append(f"{durasi_tepat(length - share.in_period)} di luar periode "
                             "laporan")
            if share.outside_hours:
                notes.append(f"{durasi_tepat(share.outside_hours)} di luar jam layanan")
            if share.overlapped:
                notes.append(f"{durasi_tepat(share.overlapped)} tumpang tindih dengan "
                             "gangguan sebelumnya (sudah diperhitungkan di sana)")
            if share.excused:
                notes.append(f"{durasi_tepat(share.excused)} dalam jadwal pemeliharaan "
                             "yang dikecualikan")
            c = causes[o.cause or "tidak diketahui"]
            c["downtime_detik"] += share.counted
            c["jumlah"] += 1
        if places > 1 and o.seen_from:
            notes.append("terlihat dari " + ", ".join(o.seen_from.split(",")))
        if o.closed_unobserved:
            notes.append("berakhir di luar pengamatan")
        if o.source == "manual":
            notes.append("dicatat manual")
        rows.append({
            "id": o.id, "mulai": o.start_at.isoformat(), "mulai_teks": waktu(o.start_at, zone),
            "selesai": o.end_at.isoformat() if o.end_at else None,
            "selesai_teks": waktu(o.end_at, zone) if o.end_at else "masih berlangsung",
            "durasi_detik": length, "durasi_teks": durasi_tepat(length),
            "dampak": o.impact, "prioritas": o.priority,
            "penyebab": o.cause or "tidak diketahui", "sumber": o.source,
            "dalam_jam_layanan_detik": share.in_hours if share else 0,
            "dikecualikan_detik": share.excused if share else 0,
            "diperhitungkan_detik": share.counted if share else 0,
            "terlihat_dari": o.seen_from.split(",") if o.seen_from else [],
            "keterangan": "; ".join(notes),
        })
    order = sorted((k for k, v in causes.items() if v["downtime_detik"] > 0),
                   key=lambda k: (-causes[k]["downtime_detik"], k))
    ranked = [{"penyebab": k, **causes[k],
               "downtime_teks": durasi_tepat(causes[k]["downtime_detik"])} for k in order]
    return rows, ranked


def _at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def window_rows(windows: list[MaintenanceWindow], shares: tuple[WindowShare, ...],
                service_id: str, names: dict[str, str], zone: str) -> list[dict[str, Any]]:
    """Every window with an occurrence in the period: when it was registered, whether each
    occurrence was scheduled or late (and why), who approved it, and the time it excused."""
    by_id = {s.key: s for s in shares}
    rows = []
    for w in sorted(windows, key=lambda w: (w.start_at, w.id)):
        share = by_id.get(w.id)
        if share is None or not share.occurrences:
            continue
        approval = next((a for a in w.approvals if a.service_id == service_id), None)
        late = sorted({o.late for o in share.occurrences if o.late}, key=str)
        if w.cancelled_at is not None:
            status = "dibatalkan " + waktu(w.cancelled_at, zone) + ": tidak mengecualikan"
        elif not late:
            status = "terjadwal (didaftarkan tepat waktu)"
        elif approval is not None:
            status = ("terlambat (" + "; ".join(ALASAN_TERLAMBAT[Late(x)] for x in late)
                      + f"), disetujui {names.get(approval.approved_by, approval.approved_by)}"
                      f" {waktu(approval.approved_at, zone)}")
        else:
            status = ("terlambat (" + "; ".join(ALASAN_TERLAMBAT[Late(x)] for x in late)
                      + "), belum disetujui: kejadian yang terlambat tidak mengecualikan "
                      "apa pun")
        rows.append({
            "id": w.id, "alasan": w.reason,
            "didaftarkan_teks": waktu(w.registered_at, zone),
            "kejadian": [{"mulai_teks": waktu(_at(o.start), zone),
                          "selesai_teks": waktu(_at(o.end), zone),
                          "terlambat": ALASAN_TERLAMBAT[Late(o.late)] if o.late else None,
                          "mengecualikan": o.excusing} for o in share.occurrences],
            "berulang": w.rrule is not None, "status": status,
            "terlambat": bool(late), "disetujui": approval is not None,
            "dibatalkan": w.cancelled_at is not None,
            "pemeliharaan_detik": share.maintenance, "dikecualikan_detik": share.excused,
        })
    return rows


def planned(windows: list[MaintenanceWindow], service_id: str, notice: Notice, year: int,
            month: int, zone: str) -> list[dict[str, Any]]:
    """Maintenance already registered for the month after (year, month): Rencana
    Pemeliharaan Perangkat starts from it."""
    lo, hi = month_bounds(*month_after(year, month), ZoneInfo(zone))
    out = []
    for w in windows:
        for o in window_for(w, service_id, notice).judged(lo, hi):
            if w.cancelled_at is not None:
                continue
            state = ("terjadwal" if o.late is None else
                     "disetujui" if o.excusing else "terlambat, menunggu persetujuan")
            out.append({"jenis": "pemeliharaan_terdaftar", "mulai": o.start,
                        "uraian": f"Pemeliharaan terdaftar: {w.reason}, "
                                  f"{waktu(_at(o.start), zone)} – {waktu(_at(o.end), zone)} "
                                  f"({state})."})
    return sorted(out, key=lambda x: x["mulai"])

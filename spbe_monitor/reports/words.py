"""Bahasa Indonesia for reports: month names, zone abbreviations, dates and durations."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

BULAN = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
         "September", "Oktober", "November", "Desember")
ZONA = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA",
        "Asia/Jayapura": "WIT"}


def periode(year: int, month: int) -> str:
    return f"{BULAN[month - 1]} {year}"


def zona(zone: str) -> str:
    return ZONA.get(zone, zone)


def waktu(moment: datetime, zone: str) -> str:
    """`03/11/2026 08:00 WIB`: what an official reads, in the service's own zone."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%d/%m/%Y %H:%M} {zona(zone)}"


def waktu_detik(moment: datetime, zone: str) -> str:
    """`29/11/2026 06.40.12 WIB`: to the second, for what a recovery is timed by."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%d/%m/%Y %H.%M.%S} {zona(zone)}"


def tanggal(moment: datetime, zone: str) -> str:
    """`29 November 2026`, the date a document is signed."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local.day} {BULAN[local.month - 1]} {local.year}"


def durasi_tepat(seconds: float) -> str:
    """Exact: `2 menit 18 detik`, `1 jam 0 menit 5 detik`, `0,4 detik`."""
    if seconds < 60:
        return f"{angka(seconds, 1).removesuffix(',0')} detik"
    left = round(seconds)
    parts: list[str] = []
    for size, unit in ((86400, "hari"), (3600, "jam"), (60, "menit")):
        if left >= size or parts:
            parts.append(f"{left // size} {unit}")
            left %= size
    return " ".join([*parts, f"{left} detik"])


def nip(value: str) -> str:
    """`19700101 199503 1 001`: an 18-digit NIP as it is printed (birth date, appointment
    month, sex, number); anything else unchanged."""
    if len(value) == 18 and value.isdigit():
        return f"{value[:8]} {value[8:14]} {value[14]} {value[15:]}"
    return value


def durasi(seconds: float) -> str:
    """`2 jam 5 menit`, `45 detik`, `1 hari 3 jam`."""
    left = round(seconds)
    if left < 60:
        return f"{left} detik"
    parts = []
    for size, unit in ((86400, "hari"), (3600, "jam"), (60, "menit")):
        if left >= size:
            parts.append(f"{left // size} {unit}")
            left %= size
    return " ".join(parts)


def angka(value: float, digits: int = 2) -> str:
    """Indonesian number format: decimal comma, dot thousands (99,6528)."""
    text = f"{value:,.{digits}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")

"""Bahasa Indonesia for reports: month names, zone abbreviations, dates and durations."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

BULAN = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
         "September", "Oktober", "November", "Desember")
BULAN_SINGKAT = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agt", "Sep", "Okt", "Nov",
                 "Des")
ZONA = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA",
        "Asia/Jayapura": "WIT"}


HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")


def jam_layanan(week: tuple[tuple[tuple[int, int], ...], ...], zone: str) -> str:
    """`Senin–Jumat 07.30–16.00 WITA`, `24 jam × 7 hari`: operating hours as an official
    writes them (consecutive days with the same hours grouped)."""
    full = ((0, 1440),)
    if all(day == full for day in week):
        return "24 jam × 7 hari"
    groups: list[tuple[int, int, tuple[tuple[int, int], ...]]] = []
    for i, ranges in enumerate(week):
        if groups and groups[-1][2] == ranges and groups[-1][1] == i - 1:
            groups[-1] = (groups[-1][0], i, ranges)
        else:
            groups.append((i, i, ranges))

    def hhmm(minute: int) -> str:
        return f"{minute // 60 % 24:02d}.{minute % 60:02d}"

    parts = []
    for first, last, ranges in groups:
        if not ranges:
            continue
        days = HARI[first] if first == last else f"{HARI[first]}–{HARI[last]}"
        hours = "24 jam" if ranges == full else ", ".join(
            f"{hhmm(a)}–{hhmm(b)}" for a, b in ranges)
        parts.append(f"{days} {hours}")
    return "; ".join(parts) + f" {zona(zone)}"


def periode(year: int, month: int) -> str:
    return f"{BULAN[month - 1]} {year}"


def zona(zone: str) -> str:
    return ZONA.get(zone, zone)


def waktu(moment: datetime, zone: str) -> str:
    """`3 November 2026 pukul 08.00 WIB`: what an official reads, in the service's zone."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local.day} {BULAN[local.month - 1]} {local.year} pukul {local:%H.%M} {zona(zone)}"


def jam(seconds: int) -> str:
    """`170 jam 30 menit 5 detik`, `744 jam`: operating time in hours, whatever the days."""
    hours, rest = divmod(seconds, 3600)
    text = " ".join(f"{n} {unit}" for n, unit in (
        (bilangan(hours), "jam"), (rest // 60, "menit"), (rest % 60, "detik")))
    return text.removesuffix(" 0 detik").removesuffix(" 0 menit")


def bilangan(value: int) -> str:
    """`2.678.400`: a whole number with dot thousands."""
    return f"{value:,}".replace(",", ".")


def waktu_detik(moment: datetime, zone: str) -> str:
    """`29/11/2026 06.40.12 WIB`: to the second, for what a recovery is timed by."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%d/%m/%Y %H.%M.%S} {zona(zone)}"


def tanggal(moment: datetime, zone: str) -> str:
    """`29 November 2026`, the date a document is signed."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local.day} {BULAN[local.month - 1]} {local.year}"


def tanggal_hari(day: date) -> str:
    """`5 Januari 2026`: a calendar date (no time, no zone)."""
    return f"{day.day} {BULAN[day.month - 1]} {day.year}"


def durasi_tepat(seconds: float) -> str:
    """Exact, trailing zero parts left out: `2 menit 18 detik`, `1 jam 0 menit 5 detik`,
    `5 jam`, `0,4 detik`."""
    if seconds < 60:
        return f"{angka(seconds, 1).removesuffix(',0')} detik"
    left = round(seconds)
    parts: list[tuple[int, str]] = []
    for size, unit in ((86400, "hari"), (3600, "jam"), (60, "menit"), (1, "detik")):
        if left >= size or parts:
            parts.append((left // size, unit))
            left %= size
    while parts[-1][0] == 0:
        parts.pop()
    return " ".join(f"{n} {unit}" for n, unit in parts)


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

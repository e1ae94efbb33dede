"""Tabel 4.3 (which response a scenario gets) and Tabel "4.4" (the declaration steps and
who signs them). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from spbe_monitor.regulation.eselon import Eselon


class Category(StrEnum):
    INFRASTRUKTUR = "infrastruktur"  # gagal fungsi infrastruktur Pusat Kendali / Komputasi
    KERUSAKAN_FISIK = "kerusakan_fisik"  # kerusakan fisik infrastruktur Pusat Data
    PIHAK_KETIGA = "pihak_ketiga"  # penghentian layanan pihak ketiga (permanen)
    AKSES = "akses"  # kegagalan akses layanan
    JIP = "jaringan_intra_pemerintahan"
    SPLP = "splp"

    @property
    def label(self) -> str:
        """Tabel 4.3's words for the category, for forms a person fills in."""
        return _CATEGORY_LABELS[self]


_CATEGORY_LABELS = {
    Category.INFRASTRUKTUR: "Gagal fungsi infrastruktur Pusat Kendali / Pusat Komputasi",
    Category.KERUSAKAN_FISIK: "Kerusakan fisik infrastruktur Pusat Data",
    Category.PIHAK_KETIGA: "Penghentian permanen layanan pihak ketiga",
    Category.AKSES: "Kegagalan akses layanan",
    Category.JIP: "Gagal fungsi Jaringan Intra Pemerintahan",
    Category.SPLP: "Gagal fungsi Sistem Penghubung Layanan Pemerintahan",
}


class Response(StrEnum):
    PEMULIHAN = "Pemulihan Layanan"
    PENANGANAN = "Penanganan Gangguan"


@dataclass(frozen=True)
class Verdict:
    response: Response
    row: int | None  # Tabel 4.3 row, None when no row matched (criteria not met)
    reason: str


def assess(category: Category, expected_recovery_days: float = 0, downtime_hours: float = 0,
           data_lost: bool = False) -> Verdict:
    """The response Tabel 4.3 gives a scenario, citing the row."""
    if category is Category.INFRASTRUKTUR:
        if expected_recovery_days > 3:
            return Verdict(Response.PEMULIHAN, 1, "gagal fungsi infrastruktur Pusat Kendali / "
                           "Pusat Komputasi, pemulihan diperkirakan lebih dari 3 hari")
        return Verdict(Response.PENANGANAN, None, "gagal fungsi infrastruktur dengan pemulihan "
                       "tidak lebih dari 3 hari tidak memenuhi kriteria baris 1")
    if category is Category.KERUSAKAN_FISIK:
        if expected_recovery_days > 3:
            return Verdict(Response.PEMULIHAN, 2, "kerusakan fisik infrastruktur Pusat Data, "
                           "pemulihan diperkirakan lebih dari 3 hari")
        return Verdict(Response.PENANGANAN, None, "kerusakan fisik dengan pemulihan tidak "
                       "lebih dari 3 hari tidak memenuhi kriteria baris 2")
    if category is Category.PIHAK_KETIGA:
        return Verdict(Response.PEMULIHAN, 3, "penghentian permanen layanan pihak ketiga "
                       "yang esensial")
    if category is Category.AKSES:
        if downtime_hours > 24 or data_lost:
            return Verdict(Response.PEMULIHAN, 4, "kegagalan akses layanan disertai downtime "
                           "lebih dari 24 jam dan/atau kehilangan data")
        return Verdict(Response.PENANGANAN, 5, "kegagalan akses layanan tanpa kehilangan data")
    if category is Category.JIP:
        return Verdict(Response.PENANGANAN, 6, "gagal fungsi Jaringan Intra Pemerintahan")
    return Verdict(Response.PENANGANAN, 7, "gagal fungsi Sistem Penghubung Layanan "
                   "Pemerintahan")


@dataclass(frozen=True)
class DeclarationStep:
    id: str
    title: str
    min_eselon: Eselon


DECLARATION = (
    DeclarationStep("assess-facility", "Penilaian kondisi fisik fasilitas Pusat Data dan "
                    "pendukungnya", Eselon.III),
    DeclarationStep("assess-devices", "Penilaian fungsi perangkat aktif (server, switch, "
                    "storage)", Eselon.III),
    DeclarationStep("analyse", "Analisis hasil penilaian: apakah kriteria bencana terpenuhi",
                    Eselon.III),
    DeclarationStep("declare", "Deklarasi bencana", Eselon.II),
)

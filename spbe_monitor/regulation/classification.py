"""Tabel 4.1: a service's classification from its nature, application basis and user scope."""

from __future__ import annotations

from enum import StrEnum


class Nature(StrEnum):
    PUBLIK = "publik"
    ADMINISTRASI_PEMERINTAHAN = "administrasi_pemerintahan"


class Basis(StrEnum):
    UMUM = "umum"
    KHUSUS = "khusus"


class Scope(StrEnum):
    NASIONAL = "nasional"
    REGIONAL = "regional"
    INSTANSI = "instansi"


class Classification(StrEnum):
    KRITIS = "kritis"
    ESENSIAL = "esensial"
    NORMAL = "normal"

    @property
    def label(self) -> str:
        """The regulation's own word, for reports."""
        return self.value.capitalize()


TABEL_4_1: dict[tuple[Nature, Basis, Scope], Classification] = {
    (Nature.ADMINISTRASI_PEMERINTAHAN, Basis.UMUM, Scope.NASIONAL): Classification.KRITIS,
    (Nature.ADMINISTRASI_PEMERINTAHAN, Basis.KHUSUS, Scope.NASIONAL): Classification.KRITIS,
    (Nature.PUBLIK, Basis.UMUM, Scope.NASIONAL): Classification.KRITIS,
    (Nature.PUBLIK, Basis.KHUSUS, Scope.NASIONAL): Classification.KRITIS,
    (Nature.ADMINISTRASI_PEMERINTAHAN, Basis.KHUSUS, Scope.REGIONAL): Classification.ESENSIAL,
    (Nature.PUBLIK, Basis.KHUSUS, Scope.REGIONAL): Classification.ESENSIAL,
    (Nature.ADMINISTRASI_PEMERINTAHAN, Basis.KHUSUS, Scope.INSTANSI): Classification.NORMAL,
}


def classify(nature: Nature, basis: Basis, scope: Scope) -> Classification | None:
    """The table's row, or None: the table has no default (REGULATION.md §2, Decision)."""
    return TABEL_4_1.get((nature, basis, scope))


def obligations(classification: Classification) -> tuple[bool, bool]:
    """(target required, RTO/RPO/DRP required) for a class."""
    return (
        classification in (Classification.KRITIS, Classification.ESENSIAL),
        classification is Classification.KRITIS,
    )

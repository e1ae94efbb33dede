"""The roles of BAB III, as people.yaml names them."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    PENYEDIA_LAYANAN = "penyedia_layanan"
    PENGELOLA_LAYANAN = "pengelola_layanan"
    PENGELOLA_TEKNIS = "pengelola_teknis"
    KOORDINATOR_LAYANAN = "koordinator_layanan"
    KOORDINATOR_PEMULIHAN = "koordinator_pemulihan"

    @property
    def label(self) -> str:
        """The regulation's words, for reports."""
        return self.value.replace("_", " ").title()

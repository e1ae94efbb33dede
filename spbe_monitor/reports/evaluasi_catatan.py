"""Formulir I's Evaluasi (Hambatan, Peluang penyempurnaan) and Tindak Lanjut: findings
pre-filled from the semester's evidence, completed by the people who sign from an editable
notes file (`<reports.notes>/2026-2.yaml`). The file is strict: errors name file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from spbe_monitor.config.yamlmarks import YamlError, parse
from spbe_monitor.errors import ConfigError


class Chapter(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    hambatan: tuple[str, ...] = ()
    peluang: tuple[str, ...] = ()
    tindak_lanjut: tuple[str, ...] = ()


class Notes(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    bab_c: Chapter = Chapter()
    bab_d: Chapter = Chapter()


def load_notes(path: Path) -> Notes:
    """The semester's notes; none when the file does not exist yet."""
    if not path.is_file():
        return Notes()
    try:
        doc = parse(path.read_text(encoding="utf-8"), path)
    except (YamlError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}:1: {exc}"]) from None
    try:
        return Notes.model_validate(doc.data or {})
    except ValidationError as exc:
        raise ConfigError([f"{doc.where(tuple(e['loc']))}: {'.'.join(map(str, e['loc']))}: "
                           f"{e['msg']}" for e in exc.errors()]) from None


def monitoring_findings(rows: list[dict[str, Any]]) -> Chapter:
    """Chapter C from the figures: targets missed, months that could not be judged."""
    hambatan, peluang, lanjut = [], [], []
    for r in rows:
        if r["bulan_tidak_tercapai"]:
            hambatan.append(f"{r['layanan']} tidak mencapai target pada "
                            f"{r['bulan_tidak_tercapai_teks']}.")
            lanjut.append(f"Analisis akar masalah gangguan {r['layanan']} dan tetapkan "
                          "langkah pencegahannya.")
        if r["bulan_tidak_dapat_dinilai"]:
            hambatan.append(f"Ketersediaan {r['layanan']} tidak dapat dinilai pada "
                            f"{r['bulan_tidak_dapat_dinilai_teks']}: cakupan pemantauan "
                            "kurang.")
            peluang.append(f"Lengkapi pemantauan {r['layanan']} agar setiap bulan dapat "
                           "dinilai.")
    return Chapter(hambatan=tuple(hambatan), peluang=tuple(peluang),
                   tindak_lanjut=tuple(lanjut))


def recovery_findings(runs: list[dict[str, Any]]) -> Chapter:
    """Chapter D from the runs: targets missed or not measured, and why."""
    hambatan = [f"{r['layanan']} ({r['tanggal']}): {r['keterangan']}." for r in runs
                if not r["terpenuhi"] and r["keterangan"] != "-"]
    lanjut = ["Perbaiki langkah playbook yang menyebabkan RTO/RPO tidak terpenuhi dan ulangi "
              "uji DRP."] if hambatan else []
    if not runs:
        hambatan = ["Belum ada pelaksanaan atau uji DRP pada semester ini."]
        lanjut = ["Jadwalkan uji DRP tahunan untuk setiap layanan Kritis."]
    return Chapter(hambatan=tuple(hambatan), tindak_lanjut=tuple(lanjut))


def evaluation(found: Chapter, noted: Chapter) -> dict[str, Any]:
    """Evaluasi and Tindak Lanjut of a chapter: from the data first, then the notes."""
    return {"evaluasi": {"hambatan": [*found.hambatan, *noted.hambatan],
                         "peluang": [*found.peluang, *noted.peluang]},
            "tindak_lanjut": [*found.tindak_lanjut, *noted.tindak_lanjut]}

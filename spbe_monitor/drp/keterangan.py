"""The runner's step notes (English, for the operator's terminal) in Bahasa Indonesia for
Formulir G. Pure: a table of the notes the step kinds write; times in them are shown in
the service's zone. A note from a person (a reason, a remark) is theirs and kept as is."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from spbe_monitor.reports.words import waktu_detik

SITUS = {"primary": "primer", "secondary": "sekunder"}
Rule = tuple[re.Pattern[str], Callable[[re.Match[str], str], str]]
RULES: list[Rule] = [
    (re.compile(r"^exit status (\S+)$"), lambda m, z: f"kode keluar {m[1]}"),
    (re.compile(r"^(\d+) probe\(s\) at site (\S+) pass$"),
     lambda m, z: f"{m[1]} probe di situs {SITUS.get(m[2], m[2])} berhasil"),
    (re.compile(r"^newest recoverable data (\S+)$"),
     lambda m, z: "data terbaru yang dapat dipulihkan: "
     + waktu_detik(datetime.fromisoformat(m[1]), z)),
    (re.compile(r"^status (\d+)$"), lambda m, z: f"status HTTP {m[1]}"),
    (re.compile(r"^no result within (\S+) s$"), lambda m, z: f"tanpa hasil dalam {m[1]} detik"),
    (re.compile(r"^still failing: (.*)$"), lambda m, z: f"masih gagal: {m[1]}"),
    (re.compile(r"^e-mail sent to (\d+)$"), lambda m, z: f"surel terkirim ke {m[1]} alamat"),
    (re.compile(r"^not exercised in a drill$"), lambda m, z: "tidak diuji dalam uji DRP"),
    (re.compile(r"^not exercised in a disaster$"),
     lambda m, z: "tidak dijalankan saat bencana"),
    (re.compile(r"^the runner stopped while it ran$"),
     lambda m, z: "pelaksana terhenti saat langkah berjalan"),
    (re.compile(r"^the recovery point (\S+) is after the disaster .*$"),
     lambda m, z: "titik pemulihan " + waktu_detik(datetime.fromisoformat(m[1]), z)
     + " sesudah waktu bencana: bukan titik pemulihan yang sah"),
]


def in_bahasa(note: str | None, zone: str) -> str | None:
    """The note in Bahasa Indonesia when it is one the runner writes; else unchanged."""
    if not note:
        return note
    for pattern, say in RULES:
        match = pattern.match(note)
        if match:
            return say(match, zone)
    return note

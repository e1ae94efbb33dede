"""What makes a form a government document: the kop surat (government, agency, address,
optional logo) and its number, from spbe.yaml `reports:`. Both are derived from the form
itself, so regenerating a form gives the same bytes."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from spbe_monitor.config.loader import Config
from spbe_monitor.config.models import Reports
from spbe_monitor.errors import BadInput

ROMAWI = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
LOGO_TYPES = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg",
              ".jpeg": "image/jpeg"}


def number(settings: Reports, formulir: str, subject: str, period: str) -> str:
    """The document number from the configured pattern, e.g. `F/perizinan-online/2026-10`.
    `period` is YYYY-MM, YYYY-N (semester) or run-N."""
    year = period[:4] if period[:4].isdigit() else ""
    month = int(period[5:7]) if len(period) == 7 and period[4] == "-" else 0
    try:
        return settings.number.format(formulir=formulir, subjek=subject, periode=period,
                                      tahun=year, bulan_romawi=ROMAWI[month - 1] if month
                                      else "")
    except (KeyError, IndexError, ValueError) as exc:
        raise BadInput(f"reports.number {settings.number!r}: unknown field {exc}; use "
                       "{formulir} {subjek} {periode} {tahun} {bulan_romawi}") from None


def letterhead(settings: Reports, base: Path) -> dict[str, Any] | None:
    """The kop, its logo inlined (so HTML and PDF carry it); None when not configured."""
    header = settings.header
    if header is None:
        return None
    logo = None
    if header.logo:
        path = base / header.logo
        kind = LOGO_TYPES.get(path.suffix.lower())
        if kind is None:
            raise BadInput(f"reports.header.logo {header.logo!r}: use a PNG, JPEG or SVG file")
        try:
            logo = f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode()}"
        except OSError as exc:
            raise BadInput(f"reports.header.logo {path}: {exc.strerror}") from None
    return {"pemerintah": header.government, "perangkat_daerah": header.agency,
            "alamat": header.address, "logo": logo}


def stamped(config: Config, data: dict[str, Any], formulir: str, subject: str,
            period: str) -> dict[str, Any]:
    """`data` with the kop and the document number every form template prints."""
    return {**data, "kop": letterhead(config.settings.reports, config.path.parent),
            "nomor": number(config.settings.reports, formulir, subject, period)}

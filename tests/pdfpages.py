"""What a reader sees of a PDF: its text (pdftotext) and whether anything is drawn past the
right margin on any page (pdftoppm, greyscale)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path


def text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout


def _pgm(path: Path) -> tuple[int, int, bytes]:
    data = path.read_bytes()
    fields: list[bytes] = []
    at = 0
    while len(fields) < 4:  # magic, width, height, maxval: separated by whitespace
        while data[at:at + 1].isspace():
            at += 1
        end = at
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[at:end])
        at = end
    assert fields[0] == b"P5", fields[0]
    return int(fields[1]), int(fields[2]), data[at + 1:]


def pages_drawn_past_right_margin(pdf: Path, margin_mm: float = 16, dpi: int = 50) -> list[int]:
    """1-based numbers of the pages with ink in the right margin (A4, `margin_mm` wide),
    leaving 2 mm next to the text block for anti-aliasing."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", str(pdf), f"{tmp}/p"],
                       check=True)
        bad = []
        for n, page in enumerate(sorted(Path(tmp).glob("p-*.pgm")), start=1):
            width, height, pixels = _pgm(page)
            first = width - int((margin_mm - 2) / 25.4 * dpi)
            if any(pixels[y * width + x] < 200 for y in range(height)
                   for x in range(first, width)):
                bad.append(n)
        return bad

"""The page checker used on the forms finds what it looks for: ink past the right margin."""

from __future__ import annotations

from pathlib import Path

from spbe_monitor.reports.render import pdf
from tests.pdfpages import pages_drawn_past_right_margin

PAGE = """<html><head><style>@page {{ size: A4; margin: 18mm 16mm }}
body {{ font-family: "DejaVu Sans" }}</style></head><body>{}</body></html>"""


def test_overflow_past_the_right_margin_is_found(tmp_path: Path):
    fits, overflows = tmp_path / "fits.pdf", tmp_path / "overflows.pdf"
    fits.write_bytes(pdf(PAGE.format("<p>Laporan Evaluasi DRP</p>" * 3)))
    overflows.write_bytes(pdf(PAGE.format(
        "<p>ok</p><div style='page-break-before: always; white-space: nowrap'>"
        + "TanpaSpasi" * 40 + "</div>")))
    assert pages_drawn_past_right_margin(fits) == []
    assert pages_drawn_past_right_margin(overflows) == [2]

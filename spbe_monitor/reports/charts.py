"""Charts as inline SVG: no plotting library, identical bytes for identical data."""

from __future__ import annotations

from html import escape
from typing import Any

from spbe_monitor.reports.words import BULAN_SINGKAT, angka


def trend_svg(trend: list[dict[str, Any]], target: float | None, width: int = 640,
              height: int = 210) -> str:
    """Monthly availability bars on an honest 0–100 % axis, each labelled with its value;
    a month that cannot be judged (too little observed) is a grey bar saying so, a month
    nobody watched is left empty and says so; the target is a dashed line."""
    left, bottom, top = 44, height - 40, 16
    span = bottom - top

    def y(v: float) -> float:
        return float(bottom - v / 100 * span)

    step = (width - left - 8) / max(1, len(trend))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="Tren ketersediaan" '
             'font-family="DejaVu Sans, sans-serif">',
             f'<line x1="{left}" y1="{bottom}" x2="{width - 4}" y2="{bottom}" '
             'stroke="#444" stroke-width="1"/>']
    for tick in (0, 25, 50, 75, 100):
        parts.append(f'<text x="{left - 4}" y="{y(tick) + 3:.1f}" font-size="9" '
                     f'text-anchor="end">{tick}%</text>'
                     f'<line x1="{left}" y1="{y(tick):.1f}" x2="{width - 4}" y2="{y(tick):.1f}" '
                     'stroke="#ddd" stroke-width="0.5"/>')
    for i, t in enumerate(trend):
        x = left + i * step + step * 0.15
        middle = x + step * 0.35
        month = int(t["periode"][5:7])
        label = escape(f"{BULAN_SINGKAT[month - 1]} {t['periode'][2:4]}")
        parts.append(f'<text x="{middle:.1f}" y="{bottom + 12}" font-size="9" '
                     f'text-anchor="middle">{label}</text>')
        v, verdict = t["realisasi_persen"], t.get("putusan")
        if v is None or verdict == "belum_dipantau":
            parts.append(_note(middle, bottom + 22, "belum", "dipantau"))
            continue
        judged = verdict not in ("tidak_dapat_dinilai",)
        colour = ("#9e9e9e" if not judged else
                  "#2e7d32" if target is None or v >= target else "#c62828")
        parts.append(f'<rect x="{x:.1f}" y="{y(v):.1f}" width="{step * 0.7:.1f}" '
                     f'height="{bottom - y(v):.1f}" fill="{colour}"/>'
                     f'<text x="{middle:.1f}" y="{y(v) - 2:.1f}" font-size="7" '
                     f'text-anchor="middle">{escape(angka(v, 2))}%</text>')
        if not judged:
            parts.append(_note(middle, bottom + 22, "tidak dapat", "dinilai"))
    if target is not None:
        parts.append(f'<line x1="{left}" y1="{y(target):.1f}" x2="{width - 4}" '
                     f'y2="{y(target):.1f}" stroke="#1565c0" stroke-dasharray="4 3"/>'
                     f'<text x="{left + 4}" y="{y(target) + 10:.1f}" font-size="8" '
                     f'text-anchor="start" fill="#1565c0">target {escape(angka(target, 2))}%'
                     '</text>')
    parts.append("</svg>")
    return "".join(parts)


def _note(x: float, y: float, first: str, second: str) -> str:
    """A note under a month in two short lines: twelve months side by side leave about
    a word's width each (one line ran into its neighbours)."""
    return (f'<text x="{x:.1f}" y="{y}" font-size="7" text-anchor="middle" fill="#555">'
            f'<tspan x="{x:.1f}">{first}</tspan><tspan x="{x:.1f}" dy="8">{second}</tspan>'
            '</text>')

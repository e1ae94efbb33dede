"""Charts as inline SVG: no plotting library, identical bytes for identical data."""

from __future__ import annotations

from html import escape
from typing import Any

from spbe_monitor.reports.words import BULAN


def trend_svg(trend: list[dict[str, Any]], target: float | None, width: int = 640,
              height: int = 200) -> str:
    """Monthly availability bars (percent) with the target as a dashed line."""
    values = [t["realisasi_persen"] for t in trend]
    known = [v for v in values if v is not None]
    floor = min([*known, *([target] if target is not None else []), 100.0])
    floor = max(0.0, min(floor - (100 - floor) * 0.2 - 0.5, 99.0))
    left, bottom, top = 48, height - 28, 12
    span = bottom - top

    def y(v: float) -> float:
        return float(bottom - (v - floor) / (100 - floor) * span)

    step = (width - left - 8) / max(1, len(trend))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="Tren ketersediaan">',
             f'<line x1="{left}" y1="{bottom}" x2="{width - 4}" y2="{bottom}" '
             'stroke="#444" stroke-width="1"/>']
    for tick in (floor, (floor + 100) / 2, 100.0):
        parts.append(f'<text x="{left - 4}" y="{y(tick) + 4:.1f}" font-size="10" '
                     f'text-anchor="end">{tick:.1f}</text>')
    for i, t in enumerate(trend):
        x = left + i * step + step * 0.15
        month = int(t["periode"][5:7])
        label = escape(f"{BULAN[month - 1][:3]} {t['periode'][2:4]}")
        parts.append(f'<text x="{x + step * 0.35:.1f}" y="{bottom + 14}" font-size="9" '
                     f'text-anchor="middle">{label}</text>')
        v = t["realisasi_persen"]
        if v is None:
            continue
        colour = "#2e7d32" if target is None or v >= target else "#c62828"
        parts.append(f'<rect x="{x:.1f}" y="{y(v):.1f}" width="{step * 0.7:.1f}" '
                     f'height="{bottom - y(v):.1f}" fill="{colour}"/>')
    if target is not None:
        parts.append(f'<line x1="{left}" y1="{y(target):.1f}" x2="{width - 4}" '
                     f'y2="{y(target):.1f}" stroke="#1565c0" stroke-dasharray="4 3"/>'
                     f'<text x="{left + 2}" y="{y(target) - 3:.1f}" font-size="9" '
                     f'text-anchor="start" fill="#1565c0">target {target:g}%</text>')
    parts.append("</svg>")
    return "".join(parts)

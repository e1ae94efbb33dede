"""Percentiles as Formulir F states them: the nearest-rank method, so every figure printed
is a value that was measured, never an interpolation between two."""

from __future__ import annotations

import math
from collections.abc import Sequence


def p95(values: Sequence[float]) -> float:
    """Nearest-rank 95th percentile (of at least one value)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]

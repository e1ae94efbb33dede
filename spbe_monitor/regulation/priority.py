"""Incident priority P1–P6 (Tabel 4.4 in the text) with response and resolution targets."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import NamedTuple

from spbe_monitor.regulation.classification import Classification, Nature


class Impact(StrEnum):
    """Decision: a detected full outage is Mayor; a degraded state is Minor."""

    MAYOR = "mayor"
    MINOR = "minor"


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"
    P5 = "P5"
    P6 = "P6"


class Targets(NamedTuple):
    response: timedelta
    resolution: timedelta


_MATRIX: dict[tuple[Impact, Nature], tuple[Priority, Priority, Priority]] = {
    # columns: Kritis, Esensial, Normal
    (Impact.MAYOR, Nature.PUBLIK): (Priority.P1, Priority.P2, Priority.P3),
    (Impact.MAYOR, Nature.ADMINISTRASI_PEMERINTAHAN): (Priority.P2, Priority.P3, Priority.P4),
    (Impact.MINOR, Nature.PUBLIK): (Priority.P3, Priority.P4, Priority.P5),
    (Impact.MINOR, Nature.ADMINISTRASI_PEMERINTAHAN): (Priority.P4, Priority.P5, Priority.P6),
}
_COLUMN = {Classification.KRITIS: 0, Classification.ESENSIAL: 1, Classification.NORMAL: 2}

TARGETS: dict[Priority, Targets] = {
    Priority.P1: Targets(timedelta(minutes=15), timedelta(hours=12)),
    Priority.P2: Targets(timedelta(minutes=30), timedelta(hours=24)),
    Priority.P3: Targets(timedelta(hours=1), timedelta(hours=36)),
    Priority.P4: Targets(timedelta(minutes=90), timedelta(hours=48)),
    Priority.P5: Targets(timedelta(hours=2), timedelta(hours=60)),
    Priority.P6: Targets(timedelta(minutes=150), timedelta(hours=72)),
}


def priority(impact: Impact, nature: Nature, classification: Classification) -> Priority:
    return _MATRIX[(impact, nature)][_COLUMN[classification]]

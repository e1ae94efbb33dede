"""A component's own availability in a period (pure): its down time from the engine's
recorded state changes, over the operating time that was observed. Formulir F's section A
prints it per component, next to the service's figure."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from spbe_monitor.availability.intervals import Interval, Spans, intersect, merge, total


def down_spans(changes: Sequence[tuple[int, str]], lo: int, hi: int) -> Spans:
    """Spans in `[lo, hi)` where the component was `down`, from its state changes (epoch,
    new state) in time order; the state before the first change in the period is that of the
    last change before it."""
    return state_spans(changes, "down", lo, hi)


def state_spans(changes: Sequence[tuple[int, str]], wanted: str, lo: int, hi: int) -> Spans:
    """Spans in `[lo, hi)` in state `wanted`, from state changes as `down_spans` takes them
    (a service's `unknown`: its components' locations fell silent, or it was handed over)."""
    out: list[Interval] = []
    since: int | None = None
    for at, state in changes:
        if at >= hi:
            break
        if state == wanted and since is None:
            since = at
        elif state != wanted and since is not None:
            out.append((max(since, lo), at))
            since = None
    if since is not None:
        out.append((max(since, lo), hi))
    return merge((a, b) for a, b in out if b > lo)


def component_availability(down: Spans, commitment: Spans, observed: Spans
                           ) -> Fraction | None:
    """1 − down / observed operating time; None when none of it was observed."""
    watched = intersect(commitment, merge(observed))
    if not watched:
        return None
    return 1 - Fraction(total(intersect(down, watched)), total(watched))

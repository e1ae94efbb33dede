"""Eselon ranks (BAB III): I is the highest. "Minimal eselon III" admits I, II and III."""

from __future__ import annotations

from enum import StrEnum


class Eselon(StrEnum):
    I = "I"  # noqa: E741 - the regulation's own name
    II = "II"
    III = "III"
    IV = "IV"

    @property
    def rank(self) -> int:
        """1 for eselon I (highest) … 4 for eselon IV."""
        return _RANK[self]


_RANK = {Eselon.I: 1, Eselon.II: 2, Eselon.III: 3, Eselon.IV: 4}


def at_least(held: Eselon | None, required: Eselon) -> bool:
    """True when `held` is `required` or higher; someone without an eselon meets no gate."""
    return held is not None and held.rank <= required.rank

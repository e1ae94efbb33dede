"""Hourly utilisation roll-ups (avg, max with its time, p95) kept in memory and handed to
the ledger when the hour is over: Formulir F needs the shape of an hour, not every check."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from spbe_monitor.ledger.store import UtilisationHour
from spbe_monitor.stats.percentile import p95


@dataclass
class _Bucket:
    values: list[float] = field(default_factory=list)
    max: float = -math.inf
    max_at: datetime | None = None


class HourlyRollup:
    def __init__(self) -> None:
        self._buckets: dict[tuple[str, str, datetime], _Bucket] = {}

    def add(self, probe_id: str, values: dict[str, float], at: datetime) -> list[UtilisationHour]:
        """Record one check's values; return the hours that this check closed."""
        hour = at.replace(minute=0, second=0, microsecond=0)
        for metric, value in values.items():
            b = self._buckets.setdefault((probe_id, metric, hour), _Bucket())
            b.values.append(value)
            if value > b.max:
                b.max, b.max_at = value, at
        done = [k for k in self._buckets if k[0] == probe_id and k[2] < hour]
        return [self._finish(k) for k in done]

    def drain(self) -> list[UtilisationHour]:
        """Everything still open (on shutdown): a partial hour, merged later if resumed."""
        return [self._finish(k) for k in list(self._buckets)]

    def _finish(self, key: tuple[str, str, datetime]) -> UtilisationHour:
        b = self._buckets.pop(key)
        assert b.max_at is not None
        return UtilisationHour(probe_id=key[0], metric=key[1], hour=key[2],
                               samples=len(b.values), avg=sum(b.values) / len(b.values),
                               max=b.max, max_at=b.max_at, p95=p95(b.values))

"""Ringkasan's twelve past months, computed once per state of the evidence.

A month that is over changes only through the ledger's evidence — a late downtime, a
cause, a window approved late, a calendar changed after filing, retention's roll-up — and
every such change is an entry of the audit chain. So a past month's figures are kept
while the chain's head stays where it was, and recomputed after it moved: a page load
costs one indexed query instead of twelve months of the formula per service."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy import Engine, func, select

from spbe_monitor.ledger.tables import audit_log

T = TypeVar("T")
KEEP = 512  # (services asked for, month) combinations kept: the people of a big agency


class PastMonths:
    def __init__(self, keep: int = KEEP) -> None:
        self._keep = keep
        self._kept: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()  # Konsol pages read the ledger in worker threads

    def get(self, engine: Engine, config: object, key: Hashable, compute: Callable[[], T]
            ) -> T:
        """What `compute` returns for `key` under this configuration (the object: a reload
        makes another) at the ledger's current audit head."""
        with engine.connect() as conn:
            head = conn.execute(select(func.max(audit_log.c.id))).scalar() or 0
        full = (str(engine.url), id(config), head, key)
        with self._lock:
            kept = self._kept.get(full)
            if isinstance(kept, tuple) and kept[0] is config:  # not a recycled id
                self._kept.move_to_end(full)
                return kept[1]  # type: ignore[no-any-return]
        value = compute()
        with self._lock:
            self._kept[full] = (config, value)
            while len(self._kept) > self._keep:
                self._kept.popitem(last=False)
        return value


PAST = PastMonths()

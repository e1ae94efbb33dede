"""Ringkasan's twelve past months, computed once per state of their evidence.

A month that is over changes only through the ledger's evidence — a late downtime, a
cause, a window approved late, a calendar changed after filing, retention's roll-up — and
every change to evidence is sealed in the audit chain (ledger/evidence.py). So past months
are kept with the chain's head they were computed at; when the head moved, the entries
since are read (by primary key: a handful) and the months kept unless one of them sealed a
figure's row that reaches before this month. This month's own outages opening and
closing — the churn of a busy agency — cost one indexed query, not twelve months of the
formula per service (bench/ringkasan.py)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Connection, Engine, Table, func, select

from spbe_monitor.ledger.audit import SEAL
from spbe_monitor.ledger.tables import (
    audit_log,
    outage_gaps,
    outages,
    site_switches,
)

T = TypeVar("T")
KEEP = 512  # (services asked for, month) combinations kept: the people of a big agency
LOOK = 2000  # entries since the kept head worth classifying; beyond, recomputing is cheaper
DATED: dict[str, tuple[Table, str]] = {  # evidence whose rows say when they apply
    "outages": (outages, "start_at"), "outage_gaps": (outage_gaps, "start_at"),
    "site_switches": (site_switches, "at")}
FIGURES = frozenset({*DATED, "maintenance_windows", "maintenance_services",
                     "maintenance_approvals", "calendar_snapshots"})
"""The sealed tables a month's figure is computed from (monthly.figures_for_month); seals
of the others (DRP journal, filings, credentials) never move a past month."""


@dataclass
class _Kept:
    config: object  # the object itself: an id() may be recycled after a reload
    head: int
    value: object


def _head(conn: Connection) -> int:
    return conn.execute(select(func.max(audit_log.c.id))).scalar() or 0


def past_unchanged(conn: Connection, since: int, head: int, present_from: datetime) -> bool:
    """Whether the audit entries in (since, head] leave every month before `present_from`
    as it was: none seals a figure's row that starts before it, or that is gone."""
    if head - since > LOOK:
        return False
    subjects = conn.execute(select(audit_log.c.subject).where(
        audit_log.c.id > since, audit_log.c.id <= head, audit_log.c.action == SEAL)).scalars()
    ids: dict[str, set[int]] = {name: set() for name in DATED}
    for subject in subjects:
        name, _, key = subject.partition(":")
        if name not in FIGURES:
            continue
        if name not in DATED or not key.isdigit():
            return False  # a window or a calendar: rare; recompute
        ids[name].add(int(key))
    for name, wanted in ids.items():
        if not wanted:
            continue
        table, column = DATED[name]
        present = set(conn.execute(select(table.c.id).where(
            table.c.id.in_(wanted), table.c[column] >= present_from)).scalars())
        if present != wanted:  # reaches back, or deleted (retention, a seal_deletion)
            return False
    return True


class PastMonths:
    def __init__(self, keep: int = KEEP) -> None:
        self._keep = keep
        self._kept: OrderedDict[Hashable, _Kept] = OrderedDict()
        self._lock = threading.Lock()  # Konsol pages read the ledger in worker threads

    def get(self, engine: Engine, config: object, key: Hashable, present_from: datetime,
            compute: Callable[[], T]) -> T:
        """What `compute` returns for `key` (months before `present_from`) under this
        configuration (the object: a reload makes another) as the ledger's evidence is now."""
        full = (str(engine.url), id(config), key)
        with self._lock:
            kept = self._kept.get(full)
        with engine.connect() as conn:
            head = _head(conn)
            if kept is not None and kept.config is config and (
                    kept.head == head or past_unchanged(conn, kept.head, head, present_from)):
                with self._lock:
                    kept.head = max(kept.head, head)
                    if full in self._kept:
                        self._kept.move_to_end(full)
                return kept.value  # type: ignore[return-value]
        value = compute()
        with self._lock:
            self._kept[full] = _Kept(config, head, value)
            self._kept.move_to_end(full)
            while len(self._kept) > self._keep:
                self._kept.popitem(last=False)
        return value


PAST = PastMonths()

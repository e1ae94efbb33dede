"""The fence every engine write of a cluster member passes, inside its transaction: writes
for units the member no longer holds under its epoch are dropped (their new owner evaluates
them), so a member paused past its lease cannot write over its successor."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace

from sqlalchemy import Connection, text

from spbe_monitor.ledger.membership import held
from spbe_monitor.ledger.writes import (
    CloseOutage,
    OpenOutage,
    Transitions,
    Utilisation,
    Write,
)

log = logging.getLogger("spbe.cluster")


class Fence:
    def __init__(self, member: str, service_unit: Mapping[str, str],
                 probe_unit: Mapping[str, str], idle_timeout_ms: int) -> None:
        self.member = member
        self.epoch: int | None = None
        self.service_unit = service_unit
        self.probe_unit = probe_unit
        self.idle_timeout_ms = idle_timeout_ms
        self.dropped_total = 0
        self._complained = -60.0

    def _unit(self, subject_type: str, subject_id: str) -> str | None:
        table = self.service_unit if subject_type == "service" else self.probe_unit
        return table.get(subject_id)

    def __call__(self, conn: Connection, writes: Sequence[Write]) -> list[Write]:
        # a member frozen inside this transaction must not hold the claims' locks for long:
        # the server ends it, the reaper goes on
        conn.execute(text(f"SET LOCAL idle_in_transaction_session_timeout = "
                          f"{self.idle_timeout_ms}"))
        wanted: set[str] = set()
        for w in writes:
            wanted.update(u for u in self._units(w) if u is not None)
        ok = held(conn, self.member, self.epoch, wanted) if self.epoch is not None else set()
        out: list[Write] = []
        dropped = 0
        for w in writes:
            kept = self._keep(w, ok)
            dropped += kept is None or (kept is not w)
            if kept is not None:
                out.append(kept)
        if dropped:
            self.dropped_total += dropped
            if time.monotonic() - self._complained >= 60:
                self._complained = time.monotonic()
                log.warning("fenced: %d write(s) for units this member (%s, epoch %s) no "
                            "longer holds were dropped; their new owner evaluates them",
                            dropped, self.member, self.epoch)
        return out

    def _units(self, w: Write) -> list[str | None]:
        if isinstance(w, OpenOutage | CloseOutage):
            return [self.service_unit.get(w.service_id)]
        if isinstance(w, Transitions):
            return [self._unit(r.subject_type, r.subject_id) for r in w.rows]
        if isinstance(w, Utilisation):
            return [self.probe_unit.get(r.probe_id) for r in w.rows]
        return []

    def _keep(self, w: Write, ok: set[str]) -> Write | None:
        if isinstance(w, OpenOutage | CloseOutage):
            return w if self.service_unit.get(w.service_id) in ok else None
        if isinstance(w, Transitions):
            rows = tuple(r for r in w.rows if self._unit(r.subject_type, r.subject_id) in ok)
            return w if len(rows) == len(w.rows) else (replace(w, rows=rows) if rows else None)
        if isinstance(w, Utilisation):
            hours = tuple(r for r in w.rows if self.probe_unit.get(r.probe_id) in ok)
            return w if len(hours) == len(w.rows) else (
                replace(w, rows=hours) if hours else None)
        return w

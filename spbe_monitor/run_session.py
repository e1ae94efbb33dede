"""This run's ledger session — the span the daemon observed, which every availability
figure reads as watched time. Opened at the start when the ledger accepts writes; when it
refuses (read-only, full) the start's own writes are spooled ahead of everything the run
observes (`writes.StartSession`), the session found by (instance, start) once they are
replayed. Its heartbeat, and the shutdown mark written only once nothing is left spooled."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from spbe_monitor.clock import Clock
from spbe_monitor.errors import first_line
from spbe_monitor.ledger.durable import DurableWriter, is_transient
from spbe_monitor.ledger.store import Store
from spbe_monitor.ledger.writes import Beat, BeatOf, StartSession

log = logging.getLogger("spbe.app")


@dataclass
class RunSession:
    store: Store
    writer: DurableWriter
    clock: Clock
    instance: str
    started: datetime
    clustered: bool  # a member's open outages are closed by the reaper, not at its start
    id: int | None = None

    def open(self, accepting: bool, first: Callable[[], None]) -> StartSession | None:
        """At the start, off the event loop (`first`: the start's other ledger writes, e.g.
        secrets to encrypt). A ledger that refuses writes — known only once written to — is
        watched through, unless this daemon is a cluster member (members coordinate through
        it): then the write to submit first, ahead of everything the run observes."""
        if accepting:
            try:
                first()
                self._open_now()
                return None
            except Exception as exc:
                if not is_transient(exc) or self.clustered:
                    raise
                self.writer.refused(exc)
        log.error("the ledger does not accept writes (%s): watching anyway, every write "
                  "kept in the spool %s until it does", self.writer.reason,
                  self.writer.spool.path)
        return StartSession(self.instance, self.started)

    def _open_now(self) -> None:
        if not self.clustered:
            closed = self.store.close_unobserved()
            if closed:
                log.warning("outage(s) %s left open by the previous run end at its last "
                            "observation for now; one still failing at the first check "
                            "continues under its own number (the unobserved span a gap)",
                            ", ".join(map(str, closed)))
        self.id = self.store.open_session(self.instance, self.started)

    def find(self) -> None:
        """Once the spooled start is in the ledger, beat by the session's id."""
        if self.id is None and not self.writer.health().pending:
            self.id = self.store.session_of(self.instance, self.started)

    def beat(self) -> Beat | BeatOf:
        if self.id is not None:
            return Beat(self.id, self.clock.now())
        return BeatOf(self.instance, self.started, self.clock.now())

    def close(self) -> None:
        """The shutdown mark and the outages closed at it, only once every write before it
        is in the ledger: with writes still spooled, the next start replays them first."""
        pending = self.writer.health().pending
        if pending:
            log.warning("stopped with %d ledger writes in the spool %s: the next start "
                        "replays them", pending, self.writer.spool.path)
            return
        self.find()
        if self.id is None:
            return
        try:
            self.store.close_session(self.id, self.clock.now())
            if not self.clustered:  # a member closed its own when it handed them over
                self.store.close_unobserved()
        except Exception as exc:
            log.error("could not write the shutdown mark: %s", first_line(exc))
            return
        log.info("stopped; shutdown mark written for session %d", self.id)

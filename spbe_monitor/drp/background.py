"""A run driven by the daemon itself, for runs started or resumed from the Konsol where no
terminal follows them: the same `Runner` as `spbe drp start|resume`, in a thread with its
own event loop (its ledger calls block, the daemon's loop must not), holding the run's
lease like any runner. If the daemon dies, the lease lapses and `resume` (CLI or Konsol)
carries on with the usual in-doubt rule."""

from __future__ import annotations

import asyncio
import logging
import threading

from spbe_monitor.clock import Clock
from spbe_monitor.config.loader import Config
from spbe_monitor.drp.operations import Drp
from spbe_monitor.drp.runner import Runner
from spbe_monitor.errors import SpbeError
from spbe_monitor.ledger.store import Store

log = logging.getLogger("spbe.drp")


def drive(config: Config, store: Store, clock: Clock, run_id: int) -> threading.Thread:
    """Start driving `run_id` now; the thread ends with the run (or when refused)."""
    def main() -> None:
        try:
            drp = Drp(config, store, clock)
            runner = Runner(config, drp.journal, drp.playbook_of(run_id, acting=True), run_id,
                            clock, lambda text: log.info("drp run %d: %s", run_id,
                                                         text.strip()))
            state = asyncio.run(runner.run())
            log.info("drp run %d: %s", run_id, state)
        except SpbeError as exc:
            log.warning("drp run %d not driven: %s", run_id, exc)

    thread = threading.Thread(target=main, name=f"drp-run-{run_id}", daemon=True)
    thread.start()
    return thread

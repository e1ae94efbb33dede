"""Ledger writes from the engine, in order, off the event loop: one worker drains a queue
of writes so a slow disk delays the ledger, never the probes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger("spbe.recorder")


class Recorder:
    def __init__(self) -> None:
        self._queue: asyncio.Queue[Callable[[], Any] | None] = asyncio.Queue()
        self.failures = 0

    def submit(self, write: Callable[[], Any]) -> None:
        self._queue.put_nowait(write)

    async def run(self) -> None:
        """Until `close()`: perform each write in a thread, in submission order."""
        while (write := await self._queue.get()) is not None:
            try:
                await asyncio.to_thread(write)
            except Exception:
                self.failures += 1
                log.exception("ledger write failed")

    def close(self) -> None:
        self._queue.put_nowait(None)

"""Time as an injected dependency, so time-dependent logic is tested without sleeping."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Aware UTC wall-clock time (for timestamps)."""

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin (for durations)."""

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        import asyncio  # not at the top: every CLI command imports this module

        await asyncio.sleep(seconds)

"""The daemon: builds everything from a Config and owns start-up and shutdown order.

Until the probe engine lands it serves health endpoints and keeps the ledger's heartbeat,
so the time it observed is on record and a crash shows up as unmonitored time.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket

from aiohttp import web

from spbe_monitor import __version__
from spbe_monitor.clock import Clock
from spbe_monitor.config import Config
from spbe_monitor.ledger.store import Store

log = logging.getLogger("spbe.app")


class App:
    def __init__(self, config: Config, store: Store, clock: Clock) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self._stop = asyncio.Event()
        self._session: int | None = None

    def _routes(self) -> web.Application:
        app = web.Application()

        async def healthy(_: web.Request) -> web.Response:
            return web.Response(text=f"spbe-monitor {__version__} is healthy\n")

        async def ready(_: web.Request) -> web.Response:
            if self._session is None:
                return web.Response(status=503, text="not ready: ledger session not open\n")
            return web.Response(text="ready\n")

        app.router.add_get("/-/healthy", healthy)
        app.router.add_get("/-/ready", ready)
        return app

    async def _heartbeat(self) -> None:
        interval = self.config.settings.heartbeat_interval.total_seconds()
        while not self._stop.is_set():
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=interval)
            except TimeoutError:
                assert self._session is not None
                await asyncio.to_thread(self.store.beat, self._session, self.clock.now())

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        server = self.config.settings.server
        runner = web.AppRunner(self._routes(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, server.listen, server.port)
        await site.start()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        instance = f"{socket.gethostname()}:{server.port}"
        self._session = await asyncio.to_thread(self.store.open_session, instance,
                                                self.clock.now())
        log.info("listening on http://%s:%d, ledger session %d", server.listen, server.port,
                 self._session)
        try:
            await self._heartbeat()
        finally:
            await asyncio.to_thread(self.store.close_session, self._session, self.clock.now())
            log.info("stopped; shutdown mark written for session %d", self._session)
            await runner.cleanup()

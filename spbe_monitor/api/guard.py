"""The HTTP server's own limits, so that whoever can reach the port cannot take what the
probes need: at most `max_connections` at once and `max_connections_per_client` from one
address (one more is closed at once; a trusted reverse proxy speaks for many clients and
is held only to the total), headers and idle keep-alive bounded by
`idle_timeout` (aiohttp closes a connection that has not sent a whole request by then,
however slowly it trickles). A connection refused is closed without a log line: a flood
must not become a flood of the log too."""

from __future__ import annotations

import asyncio
import logging
import resource
from collections import Counter

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from spbe_monitor.api.https import is_proxy
from spbe_monitor.config.models import Server

log = logging.getLogger("spbe.api")


class Guard:
    """Admits or closes each new connection of an aiohttp server (wrapping its
    connection bookkeeping: aiohttp has no cap of its own)."""

    def __init__(self, server: web.Server, settings: Server) -> None:
        self.settings = settings
        self._per_client: Counter[str] = Counter()
        self._clients: dict[RequestHandler, str] = {}
        self._made, self._lost = server.connection_made, server.connection_lost
        server.connection_made = self._connection_made  # type: ignore[method-assign]
        server.connection_lost = self._connection_lost  # type: ignore[method-assign]

    @property
    def open(self) -> int:
        return len(self._clients)

    def _connection_made(self, handler: RequestHandler, transport: asyncio.Transport) -> None:
        peer = transport.get_extra_info("peername")
        client = str(peer[0]) if isinstance(peer, tuple) and peer else "?"
        per_client = (self._per_client[client] >= self.settings.max_connections_per_client
                      and not is_proxy(client, self.settings.trusted_proxies))
        if self.open >= self.settings.max_connections or per_client:
            transport.abort()
            return
        self._clients[handler] = client
        self._per_client[client] += 1
        self._made(handler, transport)

    def _connection_lost(self, handler: RequestHandler, exc: BaseException | None = None
                         ) -> None:
        client = self._clients.pop(handler, None)
        if client is not None:
            self._per_client[client] -= 1
            if not self._per_client[client]:
                del self._per_client[client]
        self._lost(handler, exc)


def raise_descriptor_limit() -> int:
    """Take the hard limit of open files as the soft one (a shell's 1,024 is far below what
    thousands of probes and the server need); returns the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if wanted > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            return wanted
        except (ValueError, OSError) as exc:
            log.warning("could not raise the open-files limit from %d: %s", soft, exc)
    return soft

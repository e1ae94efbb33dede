"""A check's exchange on one non-blocking socket, driven from the event loop's selector:
TLS on an `ssl.SSLSocket`, so OpenSSL reads and writes the socket itself as a blocking
client does. asyncio's transports put a memory BIO, a protocol state machine and a copy of
every record between the two; for a probe that opens a connection, says one thing and
closes, that layer cost as much CPU as the handshake's own Python side
(bench/probe_throughput.py has the figures). Each phase is timed by the caller."""

from __future__ import annotations

import asyncio
import socket
import ssl

READ_SIZE = 65536


class Conversation:
    """One connected socket (plain, or TLS after `start_tls`); `close` it when done."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock: socket.socket = sock
        self.loop = asyncio.get_running_loop()
        self.fd = sock.fileno()
        self._waiter: asyncio.Future[None] | None = None
        self.loop.add_reader(self.fd, self._wake)  # once: a check waits to read 3-4 times

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _ready(self, write: bool) -> None:
        """Until the socket is readable (or writable)."""
        self._waiter = waiter = self.loop.create_future()
        if not write:
            await waiter
            return
        self.loop.add_writer(self.fd, self._wake)
        try:
            await waiter
        finally:
            self.loop.remove_writer(self.fd)

    async def start_tls(self, context: ssl.SSLContext, server_hostname: str) -> None:
        """Handshake; the context's verification (chain, hostname) applies as always."""
        tls = context.wrap_socket(self.sock, server_hostname=server_hostname,
                                  do_handshake_on_connect=False)
        self.sock = tls
        while True:
            try:
                tls.do_handshake()
                return
            except ssl.SSLWantReadError:
                await self._ready(write=False)
            except ssl.SSLWantWriteError:
                await self._ready(write=True)

    def peer_certificate(self) -> bytes | None:
        """The server's certificate (DER), also when verification is off; None on plain."""
        if isinstance(self.sock, ssl.SSLSocket):
            return self.sock.getpeercert(binary_form=True)
        return None

    async def send_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                view = view[self.sock.send(view):]
            except (BlockingIOError, ssl.SSLWantWriteError):
                await self._ready(write=True)
            except ssl.SSLWantReadError:
                await self._ready(write=False)

    async def receive(self) -> bytes:
        """The next bytes the peer sent; b"" once it has closed."""
        while True:
            try:
                return self.sock.recv(READ_SIZE)
            except (BlockingIOError, ssl.SSLWantReadError):
                await self._ready(write=False)
            except ssl.SSLWantWriteError:
                await self._ready(write=True)

    def close(self) -> None:
        self.loop.remove_reader(self.fd)
        self.sock.close()

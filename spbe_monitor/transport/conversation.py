"""A check's whole connection driven by the event loop's readiness callbacks: connect, TLS
handshake on an `ssl.SSLSocket` (OpenSSL reads and writes the socket itself, as a blocking
client does), send, read until the reader has what it needs, close — and one future for
the caller to await. asyncio's transports put a memory BIO, a protocol state machine and a
copy of every record in between, and a coroutine per step costs a task wake-up each; for a
probe that connects, says one thing and hangs up, those layers cost as much CPU as the
handshake's own Python side (figures in bench/probe_throughput.py)."""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import ssl
import time
from typing import Any, Protocol

READ_SIZE = 65536


class Reader(Protocol):
    def feed(self, data: bytes) -> bool:
        """Take bytes received; True once nothing more is needed."""

    def closed(self) -> None:
        """The peer hung up first (raise if that makes the answer incomplete)."""


class Conversation:
    """Await `done`; then `connected_at`, `secured_at`, `sent_at` (perf_counter seconds)
    and `peer_certificate` (DER, TLS only) say how it went. Cancelling `done` closes it."""

    def __init__(self, family: socket.AddressFamily, addr: tuple[Any, ...],
                 tls: ssl.SSLContext | None = None, server_hostname: str = "",
                 send: bytes = b"", reader: Reader | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        self.done: asyncio.Future[None] = self.loop.create_future()
        self.addr, self.tls, self.server_hostname = addr, tls, server_hostname
        self.unsent, self.reader = memoryview(send), reader
        self.started_at = time.perf_counter()
        self.connected_at = self.secured_at = self.sent_at = 0.0
        self.peer_certificate: bytes | None = None
        self.sock: socket.socket = socket.socket(family, socket.SOCK_STREAM)
        self.fd = self.sock.fileno()
        self.sock.setblocking(False)
        self._watching: bool | None = None  # True: for writing, False: for reading
        self._step = self._connected
        error = self.sock.connect_ex(addr)
        if error not in (0, errno.EINPROGRESS):
            self.sock.close()
            raise self._connect_error(error)
        self.done.add_done_callback(self._ended)
        self._watch(write=True)

    def _connect_error(self, error: int) -> OSError:
        return OSError(error, f"connect to {self.addr[0]}:{self.addr[1]}: {os.strerror(error)}")

    def _watch(self, write: bool) -> None:
        if self._watching is write:
            return
        self._unwatch()
        (self.loop.add_writer if write else self.loop.add_reader)(self.fd, self._ready)
        self._watching = write

    def _unwatch(self) -> None:
        if self._watching is not None:
            (self.loop.remove_writer if self._watching else self.loop.remove_reader)(self.fd)
            self._watching = None

    def _ready(self) -> None:
        try:
            self._step()
        except ssl.SSLWantReadError:
            self._watch(write=False)
        except ssl.SSLWantWriteError:
            self._watch(write=True)
        except Exception as exc:  # the check's failure: the caller classifies it
            self._finish(exc)

    def _connected(self) -> None:
        error = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if error:
            raise self._connect_error(error)
        self.connected_at = time.perf_counter()
        if self.tls is None:
            self._start_sending()
            return
        self._unwatch()  # the SSLSocket takes over the descriptor
        self.sock = self.tls.wrap_socket(self.sock, server_hostname=self.server_hostname,
                                         do_handshake_on_connect=False)
        self._step = self._handshake
        self._handshake()

    def _handshake(self) -> None:
        assert isinstance(self.sock, ssl.SSLSocket)
        self.sock.do_handshake()
        self.secured_at = time.perf_counter()
        self.peer_certificate = self.sock.getpeercert(binary_form=True)
        self._start_sending()

    def _start_sending(self) -> None:
        self.sent_at = time.perf_counter()
        self._step = self._sending
        self._sending()

    def _sending(self) -> None:
        while self.unsent:
            try:
                self.unsent = self.unsent[self.sock.send(self.unsent):]
            except BlockingIOError:
                self._watch(write=True)
                return
        if self.reader is None:
            self._finish(None)
            return
        self._step = self._receiving
        self._receiving()

    def _receiving(self) -> None:
        assert self.reader is not None
        while True:
            try:
                data = self.sock.recv(READ_SIZE)
            except BlockingIOError:
                self._watch(write=False)
                return
            if not data:
                self.reader.closed()
                self._finish(None)
                return
            if self.reader.feed(data):
                self._finish(None)
                return

    def _finish(self, exc: BaseException | None) -> None:
        self._unwatch()
        if self.done.done():
            return
        if exc is None:
            self.done.set_result(None)
        else:
            self.done.set_exception(exc)

    def _ended(self, _: asyncio.Future[None]) -> None:
        """However it ended (answered, failed, cancelled by the deadline): hang up."""
        self._unwatch()
        self.sock.close()

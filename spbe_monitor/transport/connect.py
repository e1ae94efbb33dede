"""Open a TCP (and optionally TLS) connection and time each phase: resolve, connect, tls.

Hand-timed because client libraries report TCP and TLS as one step; the connection is a
bare socket driven from the event loop (`Conversation`), the cheapest a check can be.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import os
import socket
import ssl
import time
from functools import lru_cache
from typing import Any

from spbe_monitor.transport.conversation import Conversation


@lru_cache(maxsize=4096)
def _ip_literal(host: str, port: int) -> tuple[socket.AddressFamily, tuple[Any, ...]] | None:
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    if ip.version == 6:
        return socket.AF_INET6, (str(ip), port, 0, 0)
    return socket.AF_INET, (str(ip), port)


async def connect_socket(host: str, port: int, phases: dict[str, float]) -> socket.socket:
    """A connected non-blocking socket; `resolve` and `connect` seconds go into `phases`."""
    loop = asyncio.get_running_loop()
    t0 = time.perf_counter()
    literal = _ip_literal(host, port)
    if literal is not None:  # an address needs no resolver thread
        family, addr = literal
    else:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family, _, _, _, addr = infos[0]
    t1 = time.perf_counter()
    phases["resolve"] = t1 - t0
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        await _connect(loop, sock, addr)
    except BaseException:
        sock.close()
        raise
    phases["connect"] = time.perf_counter() - t1
    return sock


async def _connect(loop: asyncio.AbstractEventLoop, sock: socket.socket,
                   addr: tuple[Any, ...]) -> None:
    """`loop.sock_connect` without its layers of callbacks (a TCP check is little else)."""
    error = sock.connect_ex(addr)
    if error == errno.EINPROGRESS:
        fd = sock.fileno()
        waiter: asyncio.Future[None] = loop.create_future()

        def wake() -> None:  # may fire again before the waiting task has run
            if not waiter.done():
                waiter.set_result(None)

        loop.add_writer(fd, wake)
        try:
            await waiter
        finally:
            loop.remove_writer(fd)
        error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if error:
        raise OSError(error, f"connect to {addr[0]}:{addr[1]}: {os.strerror(error)}")


async def open_conversation(host: str, port: int, tls: ssl.SSLContext | None = None,
                            server_hostname: str | None = None,
                            phases: dict[str, float] | None = None) -> Conversation:
    """Resolve, connect and (if `tls`) handshake, recording the seconds spent in each."""
    phases = {} if phases is None else phases
    talk = Conversation(await connect_socket(host, port, phases))
    if tls is None:
        return talk
    t = time.perf_counter()
    try:
        await talk.start_tls(tls, server_hostname or host)
    except BaseException:
        talk.close()
        raise
    phases["tls"] = time.perf_counter() - t
    return talk


EXPIRY = "tls_cert_expiry_timestamp_seconds"


def certificate_values(talk: Conversation) -> dict[str, float]:
    """The peer certificate's notAfter as `{EXPIRY: epoch}` (also when verification is
    off), or nothing on a plain connection."""
    der = talk.peer_certificate()
    if not der:
        return {}
    return {EXPIRY: _not_after(der)}


@lru_cache(maxsize=1024)
def _not_after(der: bytes) -> float:
    """Parsed once per certificate: a server shows the same one to every check."""
    from cryptography import x509  # loaded by the first TLS check, not to read the config

    return x509.load_der_x509_certificate(der).not_valid_after_utc.timestamp()

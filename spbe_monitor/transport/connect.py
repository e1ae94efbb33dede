"""Open a TCP (and optionally TLS) connection and time each phase: resolve, connect, tls.

Hand-timed on asyncio transports because client libraries report TCP and TLS as one step,
and because a protocol object costs far fewer event-loop turns per check than streams.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

P = TypeVar("P", bound=asyncio.BaseProtocol)


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
        await loop.sock_connect(sock, addr)
    except BaseException:
        sock.close()
        raise
    phases["connect"] = time.perf_counter() - t1
    return sock


async def open_transport(
    host: str,
    port: int,
    factory: Callable[[], P],
    tls: ssl.SSLContext | None = None,
    server_hostname: str | None = None,
    phases: dict[str, float] | None = None,
) -> tuple[asyncio.Transport, P, dict[str, float]]:
    """Resolve, connect and (if `tls`) handshake, recording the seconds spent in each."""
    phases = {} if phases is None else phases
    sock = await connect_socket(host, port, phases)
    loop = asyncio.get_running_loop()
    t = time.perf_counter()
    try:
        if tls is None:
            transport, protocol = await loop.create_connection(factory, sock=sock)
        else:
            transport, protocol = await loop.create_connection(
                factory, sock=sock, ssl=tls, server_hostname=server_hostname or host)
            phases["tls"] = time.perf_counter() - t
    except BaseException:
        sock.close()
        raise
    return transport, protocol, phases


EXPIRY = "tls_cert_expiry_timestamp_seconds"


def certificate_values(transport: asyncio.BaseTransport) -> dict[str, float]:
    """The peer certificate's notAfter as `{EXPIRY: epoch}` (also when verification is
    off), or nothing on a plain connection."""
    obj = transport.get_extra_info("ssl_object")
    der = obj.getpeercert(binary_form=True) if obj is not None else None
    if not der:
        return {}
    from cryptography import x509  # loaded by the first TLS check, not to read the config

    return {EXPIRY: x509.load_der_x509_certificate(der).not_valid_after_utc.timestamp()}

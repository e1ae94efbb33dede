"""Open a TCP (and optionally TLS) connection and time each phase: resolve, connect, tls.

Hand-timed on asyncio streams because client libraries report TCP and TLS as one step.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509


@dataclass
class Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    phases: dict[str, float]

    def close(self) -> None:
        self.writer.close()

    def certificate_expiry(self) -> datetime | None:
        """notAfter of the peer certificate (also when verification is off)."""
        obj = self.writer.get_extra_info("ssl_object")
        if obj is None:
            return None
        der = obj.getpeercert(binary_form=True)
        if not der:
            return None
        return x509.load_der_x509_certificate(der).not_valid_after_utc


async def open_connection(
    host: str, port: int, tls: ssl.SSLContext | None = None, server_hostname: str | None = None
) -> Connection:
    """Resolve, connect and (if `tls`) handshake, recording seconds spent in each."""
    loop = asyncio.get_running_loop()
    phases: dict[str, float] = {}
    t0 = time.perf_counter()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    t1 = time.perf_counter()
    phases["resolve"] = t1 - t0
    family, type_, proto, _, addr = infos[0]
    sock = socket.socket(family, type_, proto)
    sock.setblocking(False)
    try:
        await loop.sock_connect(sock, addr)
    except BaseException:
        sock.close()
        raise
    t2 = time.perf_counter()
    phases["connect"] = t2 - t1
    try:
        if tls is None:
            reader, writer = await asyncio.open_connection(sock=sock)
        else:
            reader, writer = await asyncio.open_connection(
                sock=sock, ssl=tls, server_hostname=server_hostname or host)
            phases["tls"] = time.perf_counter() - t2
    except BaseException:
        sock.close()
        raise
    return Connection(reader, writer, phases)

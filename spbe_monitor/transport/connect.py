"""Resolve a host, then hold one `Conversation` with it, timing each phase: resolve,
connect, tls. Hand-timed because client libraries report TCP and TLS as one step."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from functools import lru_cache
from typing import Any

from spbe_monitor.transport.conversation import Conversation, Reader

EXPIRY = "tls_cert_expiry_timestamp_seconds"


@lru_cache(maxsize=4096)
def _ip_literal(host: str, port: int) -> tuple[socket.AddressFamily, tuple[Any, ...]] | None:
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    if ip.version == 6:
        return socket.AF_INET6, (str(ip), port, 0, 0)
    return socket.AF_INET, (str(ip), port)


async def converse(host: str, port: int, phases: dict[str, float],
                   tls: ssl.SSLContext | None = None, server_hostname: str | None = None,
                   send: bytes = b"", reader: Reader | None = None) -> Conversation:
    """Connect (and handshake), send `send`, let `reader` read until it is satisfied; the
    seconds of `resolve`, `connect` and `tls` go into `phases`."""
    t0 = time.perf_counter()
    literal = _ip_literal(host, port)
    if literal is not None:  # an address needs no resolver thread
        family, addr = literal
    else:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port,
                                                             type=socket.SOCK_STREAM)
        family, _, _, _, addr = infos[0]
    phases["resolve"] = time.perf_counter() - t0
    talk = Conversation(family, addr, tls, server_hostname or host, send, reader)
    try:
        await talk.done
    finally:  # a failed or cancelled check still reports how far it got
        if talk.connected_at:
            phases["connect"] = talk.connected_at - talk.started_at
        if talk.secured_at:
            phases["tls"] = talk.secured_at - talk.connected_at
    return talk


def certificate_values(talk: Conversation) -> dict[str, float]:
    """The peer certificate's notAfter as `{EXPIRY: epoch}` (also when verification is
    off), or nothing on a plain connection."""
    if not talk.peer_certificate:
        return {}
    return {EXPIRY: _not_after(talk.peer_certificate)}


@lru_cache(maxsize=1024)
def _not_after(der: bytes) -> float:
    """Parsed once per certificate: a server shows the same one to every check."""
    from cryptography import x509  # loaded by the first TLS check, not to read the config

    return x509.load_der_x509_certificate(der).not_valid_after_utc.timestamp()

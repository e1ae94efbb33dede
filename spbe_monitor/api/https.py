"""HTTPS for the API and the Konsol: served by the daemon itself when `server.tls` names a
certificate and key, or by a reverse proxy whose `X-Forwarded-Proto`/`-For` are believed
only from the addresses in `server.trusted_proxies`. A request that came over TLS gets
`Strict-Transport-Security`, and its cookies are `Secure` (konsol.core.set_cookie reads
`request.secure`)."""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Middleware

from spbe_monitor.api.common import Handler
from spbe_monitor.config.models import Server
from spbe_monitor.errors import ConfigError

HSTS = "max-age=31536000"


def tls_context(server: Server, base: Path) -> ssl.SSLContext | None:
    """The server's TLS context, files relative to spbe.yaml's folder; None without TLS."""
    if server.tls is None:
        return None
    cert, key = (base / server.tls.cert).resolve(), (base / server.tls.key).resolve()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError([f"server.tls: cannot load {cert} and {key}: {exc}"]) from None
    return ctx


def forwarded(server: Server) -> Middleware:
    """Believe a proxy's word on scheme and client only when it is one we trust."""
    proxies = server.trusted_proxies

    def trusted(remote: str | None) -> bool:
        return is_proxy(remote, proxies)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if proxies and trusted(request.remote):
            proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip()
            client = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
            request = request.clone(scheme=proto if proto in ("http", "https") else
                                    request.scheme, remote=client or request.remote or "?")
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            if request.secure:
                exc.headers["Strict-Transport-Security"] = HSTS
            raise
        if request.secure:
            response.headers["Strict-Transport-Security"] = HSTS
        return response

    return middleware


def is_proxy(remote: str | None, proxies: list[str]) -> bool:
    """Whether a peer's address is one of the trusted reverse proxies."""
    try:
        return remote is not None and any(ipaddress.ip_address(remote) in ipaddress.ip_network(
            p, strict=False) for p in proxies)
    except ValueError:
        return False

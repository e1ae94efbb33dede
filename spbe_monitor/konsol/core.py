"""What every Konsol page shares: the Jinja2 templates, the HTML error middleware (a refusal
or bad input becomes an Indonesian page with its reason, never a traceback), cookies, and
`Konsol` — who is logged in and the CSRF check every form passes through."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode, urlsplit

from aiohttp import web
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from spbe_monitor.api.common import Host
from spbe_monitor.authority import Acting, Authority
from spbe_monitor.config.models import Person
from spbe_monitor.errors import BadInput, NotFound, Refused
from spbe_monitor.konsol.alasan import indonesian
from spbe_monitor.konsol.sessions import Session, Sessions
from spbe_monitor.reports.words import durasi_tepat
from spbe_monitor.secretbox import SecretBox

COOKIE, LOGIN_COOKIE = "spbe_sesi", "spbe_masuk"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@lru_cache(maxsize=1)
def _templates() -> Environment:
    env = Environment(loader=PackageLoader("spbe_monitor.konsol", "templates"),
                      autoescape=select_autoescape(default=True), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["durasi_tepat"] = durasi_tepat
    return env


def page(template: str, status: int = 200, **data: Any) -> web.Response:
    """A page whose own style and script alone may run (a fresh nonce each time): injected
    markup can neither run code nor post a form elsewhere."""
    nonce = secrets.token_urlsafe(16)
    response = web.Response(text=_templates().get_template(template).render(nonce=nonce,
                                                                            **data),
                            status=status, content_type="text/html", charset="utf-8")
    response.headers.update({
        "Content-Security-Policy": f"default-src 'none'; style-src 'nonce-{nonce}'; "
                                   f"script-src 'nonce-{nonce}'; connect-src 'self'; "
                                   "img-src 'self' data:; form-action 'self'; "
                                   "frame-ancestors 'none'; base-uri 'none'",
        "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"})
    return response


def set_cookie(response: web.StreamResponse, request: web.Request, name: str, value: str,
               max_age: int) -> None:
    """Secure whenever the page came over TLS (the daemon's own, or a trusted proxy's)."""
    response.set_cookie(name, value, max_age=max_age, path="/konsol", httponly=True,
                        samesite="Strict", secure=request.secure)


def del_cookie(response: web.StreamResponse, request: web.Request, name: str) -> None:
    response.del_cookie(name, path="/konsol", httponly=True, samesite="Strict",
                        secure=request.secure)


@web.middleware
async def pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refusals and bad input as pages in Bahasa Indonesia, never a traceback."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except NotFound as exc:
        return page("galat.html.j2", 404, judul="Tidak ditemukan", alasan=indonesian(exc))
    except BadInput as exc:
        return page("galat.html.j2", 400, judul="Masukan tidak valid", alasan=indonesian(exc))
    except Refused as exc:
        return page("galat.html.j2", 403, judul="Ditolak", alasan=indonesian(exc))


@dataclass(frozen=True)
class Visitor:
    """A logged-in person on this request: the session (its CSRF token) and who acts."""

    session: Session
    person: Person

    def acting(self, totp: str | None = None) -> Acting:
        return Acting.of(self.person, totp or None)

    def page(self, template: str, status: int = 200, **data: Any) -> web.Response:
        return page(template, status, csrf=self.session.csrf, orang=self.person, **data)


class Konsol:
    """The daemon's objects as every page handler needs them."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.sessions = Sessions(host.store.engine,
                                 SecretBox.load_or_create(host.config.secrets_key_path))
        self.authority = Authority(host.config, host.store, host.clock)

    @staticmethod
    def run(fn: Callable[..., Any], *args: Any) -> Awaitable[Any]:
        """Ledger work off the event loop."""
        return asyncio.to_thread(fn, *args)

    async def visitor(self, request: web.Request, polling: bool = False) -> Visitor:
        """The logged-in person, or a redirect to Masuk (`polling`, a page refreshing
        itself: 401, which its script shows, and the idle clock left as it is)."""
        session = await self.run(self.sessions.current, request.cookies.get(COOKIE),
                                 self.host.clock.now(), not polling)
        person = self.host.config.people.get(session.nip) if session else None
        if session is None or person is None:
            if polling:
                raise web.HTTPUnauthorized(text="sesi berakhir")
            back = request.path_qs if request.method == "GET" else _came_from(request)
            raise web.HTTPSeeOther("/konsol/masuk" + (f"?{urlencode({'lanjut': back})}"
                                                      if back.startswith("/konsol/") else ""))
        return Visitor(session, person)

    async def form(self, request: web.Request, visitor: Visitor) -> dict[str, str]:
        """The posted form, refused (403, audited) without this session's CSRF token.
        Repeated fields (checkboxes) are joined by newlines; see `form_list`."""
        posted = await request.post()
        form: dict[str, str] = {}
        for key, value in posted.items():
            text = str(value)
            form[key] = f"{form[key]}\n{text}" if key in form else text
        if not visitor.session.form_token_matches(form.get("csrf")):
            await self.run(self.host.store.record_refusal, self.host.clock.now(),
                           visitor.person.nip, f"konsol.{request.path.rsplit('/', 1)[-1]}",
                           "konsol", "CSRF token missing or wrong")
            raise Refused("formulir kedaluwarsa atau tidak sah (token CSRF salah); muat ulang "
                          "halaman lalu coba lagi")
        return form


def _came_from(request: web.Request) -> str:
    """The page a form was sent from (its Referer, on this host only): after Masuk, the
    person is back where they typed, the text kept by the page's script."""
    referer = urlsplit(request.headers.get("Referer", ""))
    if referer.netloc != request.host:
        return ""
    return referer.path + (f"?{referer.query}" if referer.query else "")


def form_list(form: dict[str, str], key: str) -> list[str]:
    """A repeated field (checkboxes) as a list."""
    return [v for v in form.get(key, "").split("\n") if v]

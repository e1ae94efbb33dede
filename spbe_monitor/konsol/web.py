"""The Konsol's pages under /konsol/ (a sub-application of the daemon's HTTP server):
Masuk (NIP + password, the same login rule as the CLI), Keluar, Ringkasan and Layanan.
Every form carries the session's CSRF token; refusals render an Indonesian page with the
reason and are audited; a service's page is only for the people who answer for it."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any

from aiohttp import web
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from spbe_monitor.api.common import Host, row_id
from spbe_monitor.authority import Acting, Authority
from spbe_monitor.errors import BadInput, NotFound, Refused
from spbe_monitor.identity import LoginRefused, password_login
from spbe_monitor.konsol.pemeliharaan import REPEAT, listing, rrule_for
from spbe_monitor.konsol.sessions import LIFETIME, Session, Sessions
from spbe_monitor.konsol.views import overview, service_page
from spbe_monitor.manual import Desk
from spbe_monitor.reports.rincian import ALASAN_TERLAMBAT
from spbe_monitor.reports.words import durasi_tepat

log = logging.getLogger("spbe.konsol")
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
    return web.Response(text=_templates().get_template(template).render(**data),
                        status=status, content_type="text/html", charset="utf-8")


def _cookie(response: web.StreamResponse, request: web.Request, name: str, value: str,
            max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/konsol", httponly=True,
                        samesite="Strict", secure=request.secure)


@web.middleware
async def pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refusals and bad input as pages in Bahasa Indonesia, never a traceback."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except NotFound as exc:
        return page("galat.html.j2", 404, judul="Tidak ditemukan", alasan=str(exc))
    except BadInput as exc:
        return page("galat.html.j2", 400, judul="Masukan tidak valid", alasan=str(exc))
    except Refused as exc:
        return page("galat.html.j2", 403, judul="Ditolak", alasan=str(exc))


def konsol_app(host: Host) -> web.Application:
    sessions = Sessions(host.store.engine)
    authority = Authority(host.config, host.store, host.clock)

    def run(fn: Callable[..., Any], *args: Any) -> Awaitable[Any]:
        return asyncio.to_thread(fn, *args)

    async def who(request: web.Request) -> tuple[Session, Acting]:
        session = await run(sessions.current, request.cookies.get(COOKIE), host.clock.now())
        person = host.config.people.get(session.nip) if session else None
        if session is None or person is None:
            raise web.HTTPSeeOther("/konsol/masuk")
        return session, Acting.of(person)

    async def form_of(request: web.Request, session: Session) -> dict[str, str]:
        """The posted form, refused (403, audited) without this session's CSRF token."""
        form = {k: str(v) for k, v in (await request.post()).items()}
        if not session.form_token_matches(form.get("csrf")):
            await run(host.store.record_refusal, host.clock.now(), session.nip,
                      f"konsol.{request.path.rsplit('/', 1)[-1]}", "konsol", "CSRF token "
                      "missing or wrong")
            raise Refused("formulir kedaluwarsa atau tidak sah (token CSRF salah); muat ulang "
                          "halaman lalu coba lagi")
        return form

    async def login_form(request: web.Request, message: str | None = None,
                         status: int = 200) -> web.Response:
        token = secrets.token_urlsafe(32)
        response = page("masuk.html.j2", status, csrf=token, pesan=message)
        _cookie(response, request, LOGIN_COOKIE, token, 3600)
        return response

    async def masuk(request: web.Request) -> web.StreamResponse:
        if await run(sessions.current, request.cookies.get(COOKIE), host.clock.now()):
            raise web.HTTPSeeOther("/konsol/")
        return await login_form(request)

    async def masuk_post(request: web.Request) -> web.StreamResponse:
        form = {k: str(v) for k, v in (await request.post()).items()}
        expected = request.cookies.get(LOGIN_COOKIE)
        if not expected or not secrets.compare_digest(expected, form.get("csrf", "")):
            await run(host.store.record_refusal, host.clock.now(),
                      f"konsol:{request.remote}", "login", "konsol", "CSRF token missing or "
                      "wrong")
            return page("galat.html.j2", 403, judul="Ditolak",
                        alasan="formulir masuk kedaluwarsa atau tidak sah; muat ulang halaman")
        now = host.clock.now()
        try:
            person = await run(password_login, host.config, host.store,
                               form.get("nip", ""), form.get("password", ""), now)
        except LoginRefused as exc:
            if exc.locked:
                return await login_form(request, "Terlalu banyak percobaan masuk yang gagal "
                                        "untuk NIP ini; coba lagi dalam 15 menit.", 429)
            return await login_form(request, "NIP atau kata sandi salah.", 401)
        await run(sessions.end, request.cookies.get(COOKIE), now)  # a new id, always
        session_id, _ = await run(sessions.start, person.nip, now)
        await run(host.store.record_act, now, person.nip, "konsol.login", "konsol")
        response = web.HTTPSeeOther("/konsol/")
        _cookie(response, request, COOKIE, session_id, int(LIFETIME.total_seconds()))
        response.del_cookie(LOGIN_COOKIE, path="/konsol")
        raise response

    async def keluar(request: web.Request) -> web.StreamResponse:
        session, _ = await who(request)
        await form_of(request, session)
        await run(sessions.end, request.cookies.get(COOKIE), host.clock.now())
        response = web.HTTPSeeOther("/konsol/masuk")
        response.del_cookie(COOKIE, path="/konsol")
        raise response

    async def ringkasan(request: web.Request) -> web.StreamResponse:
        session, acting = await who(request)
        assert acting.person is not None
        data = await run(overview, host, acting.person)
        return page("ringkasan.html.j2", csrf=session.csrf, orang=acting.person, **data)

    async def layanan(request: web.Request) -> web.StreamResponse:
        session, acting = await who(request)
        assert acting.person is not None
        sid = request.match_info["service"]
        if sid not in host.config.services:
            raise NotFound(f"tidak ada layanan {sid[:64]!r}")
        await run(authority.service_view, acting, sid)
        data = await run(service_page, host, sid)
        return page("layanan.html.j2", csrf=session.csrf, orang=acting.person, **data)

    def desk() -> Desk:
        return Desk(host.config, host.store, host.clock)

    async def pemeliharaan(request: web.Request, message: str | None = None
                           ) -> web.StreamResponse:
        session, acting = await who(request)
        assert acting.person is not None
        rows = await run(listing, host.config, host.store, acting.person, host.clock.now())
        mine = [(sid, s.name, s.zone) for sid, s in host.config.services.items()
                if sid in acting.person.services]
        rule = host.config.settings.maintenance
        return page("pemeliharaan.html.j2", csrf=session.csrf, orang=acting.person,
                    jadwal=rows, layanan=mine, ulang=REPEAT, pesan=message,
                    pemberitahuan=durasi_tepat(rule.min_notice.total_seconds()),
                    maksimum=durasi_tepat(rule.max_duration.total_seconds()))

    async def pemeliharaan_post(request: web.Request) -> web.StreamResponse:
        session, acting = await who(request)
        form = await request.post()
        await form_of(request, session)
        ids = [str(v) for v in form.getall("layanan", [])]
        if not ids:
            raise BadInput("pilih sedikitnya satu layanan")
        zone = host.config.service(ids[0]).zone
        rrule = rrule_for(str(form.get("ulang", "")), str(form.get("mulai", "")), zone)
        wid, late = await run(lambda: desk().add_maintenance(
            ids, str(form.get("mulai", "")), str(form.get("selesai", "")), rrule,
            str(form.get("alasan", "")), acting))
        said = (f"Jadwal {wid} terdaftar sebagai pemeliharaan terjadwal." if late is None else
                f"Jadwal {wid} terdaftar, tetapi terlambat ({ALASAN_TERLAMBAT[late]}): "
                "tidak mengecualikan gangguan sampai disetujui Penyedia Layanan.")
        return await pemeliharaan(request, said)

    async def setujui(request: web.Request) -> web.StreamResponse:
        session, acting = await who(request)
        form = await form_of(request, session)
        wid = row_id(request.match_info["id"], "jadwal")
        assert acting.person is not None
        approving = Acting.of(acting.person, form.get("totp") or None)
        allowed = await run(lambda: desk().approve_maintenance(wid, approving))
        return await pemeliharaan(request, f"Jadwal {wid} disetujui untuk "
                                  + ", ".join(host.config.services[s].name for s in allowed)
                                  + ".")

    app = web.Application(middlewares=[pages])
    app.router.add_get("/pemeliharaan", pemeliharaan)
    app.router.add_post("/pemeliharaan", pemeliharaan_post)
    app.router.add_post("/pemeliharaan/{id}/setujui", setujui)
    app.router.add_get("/masuk", masuk)
    app.router.add_post("/masuk", masuk_post)
    app.router.add_post("/keluar", keluar)
    app.router.add_get("/", ringkasan)
    app.router.add_get("/layanan/{service}", layanan)
    return app

"""The Konsol's pages under /konsol/ (a sub-application of the daemon's HTTP server):
Masuk (NIP + password, the same login rule as the CLI), Keluar, Ringkasan, Layanan and
Pemeliharaan here; DRP, Laporan and Jejak Audit in their own modules. Every form carries the
session's CSRF token; refusals render an Indonesian page with the reason and are audited."""

from __future__ import annotations

import secrets

from aiohttp import web

from spbe_monitor import refusals
from spbe_monitor.api.common import Host, row_id
from spbe_monitor.errors import BadInput, NotFound
from spbe_monitor.identity import LoginRefused, password_login
from spbe_monitor.konsol.core import (
    COOKIE,
    LOGIN_COOKIE,
    Konsol,
    del_cookie,
    form_list,
    page,
    pages,
)
from spbe_monitor.konsol.core import set_cookie as _cookie
from spbe_monitor.konsol.drp_pages import add_drp
from spbe_monitor.konsol.jejak import add_audit
from spbe_monitor.konsol.laporan import add_reports
from spbe_monitor.konsol.pemeliharaan import REPEAT, listing, rrule_for
from spbe_monitor.konsol.sessions import LIFETIME
from spbe_monitor.konsol.views import overview, service_page
from spbe_monitor.manual import Desk
from spbe_monitor.reports.rincian import ALASAN_TERLAMBAT
from spbe_monitor.reports.words import durasi_tepat


def konsol_app(host: Host) -> web.Application:
    k = Konsol(host)

    async def login_form(request: web.Request, message: str | None = None,
                         status: int = 200, back: str | None = None) -> web.Response:
        token = secrets.token_urlsafe(32)
        response = page("masuk.html.j2", status, csrf=token, pesan=message,
                        lanjut=back or returning(request.query.get("lanjut")))
        _cookie(response, request, LOGIN_COOKIE, token, 3600)
        return response

    async def masuk(request: web.Request) -> web.StreamResponse:
        if await k.run(k.sessions.current, request.cookies.get(COOKIE), host.clock.now()):
            raise web.HTTPSeeOther(returning(request.query.get("lanjut")))
        return await login_form(request)

    async def masuk_post(request: web.Request) -> web.StreamResponse:
        form = {k: str(v) for k, v in (await request.post()).items()}
        expected = request.cookies.get(LOGIN_COOKIE)
        if not expected or not secrets.compare_digest(expected, form.get("csrf", "")):
            refusals.refused("csrf", request.remote or "?", "login form without its CSRF "
                             "token", unaudited=True)
            return page("galat.html.j2", 403, judul="Ditolak",
                        alasan="formulir masuk kedaluwarsa atau tidak sah; muat ulang halaman")
        now = host.clock.now()
        try:
            person = await k.run(password_login, host.config, host.store,
                                 form.get("nip", ""), form.get("password", ""), now,
                                 request.remote or "?")
        except LoginRefused as exc:
            refusals.refused("login")  # audited per NIP by password_login
            back = returning(form.get("lanjut"))
            if exc.locked:
                return await login_form(request, "Terlalu banyak percobaan masuk yang gagal "
                                        "untuk NIP ini; coba lagi dalam 15 menit.", 429, back)
            return await login_form(request, "NIP atau kata sandi salah.", 401, back)
        await k.run(k.sessions.end, request.cookies.get(COOKIE), now)  # a new id, always
        session_id, _ = await k.run(k.sessions.start, person.nip, now)
        await k.run(host.store.record_act, now, person.nip, "konsol.login", "konsol")
        response = web.HTTPSeeOther(returning(form.get("lanjut")))
        _cookie(response, request, COOKIE, session_id, int(LIFETIME.total_seconds()))
        del_cookie(response, request, LOGIN_COOKIE)
        raise response

    async def keluar(request: web.Request) -> web.StreamResponse:
        visitor = await k.visitor(request)
        await k.form(request, visitor)
        await k.run(k.sessions.end, request.cookies.get(COOKIE), host.clock.now())
        response = web.HTTPSeeOther("/konsol/masuk")
        del_cookie(response, request, COOKIE)
        raise response

    async def ringkasan(request: web.Request) -> web.StreamResponse:
        visitor = await k.visitor(request)
        data = await k.run(overview, host, visitor.person)
        return visitor.page("ringkasan.html.j2", **data)

    async def layanan(request: web.Request, message: str | None = None
                      ) -> web.StreamResponse:
        visitor = await k.visitor(request)
        sid = request.match_info["service"]
        if sid not in host.config.services:
            raise NotFound(f"tidak ada layanan {sid[:64]!r}")
        await k.run(k.authority.service_view, visitor.acting(), sid)
        data = await k.run(service_page, host, sid)
        return visitor.page("layanan.html.j2", pesan=message, **data)

    async def penyebab(request: web.Request) -> web.StreamResponse:
        """Annotate an outage's cause (the service's team), as `spbe downtime annotate`."""
        visitor = await k.visitor(request)
        form = await k.form(request, visitor)
        oid = row_id(request.match_info["id"], "gangguan")
        outage = await k.run(host.store.outage, oid)
        if outage.service_id != request.match_info["service"]:
            raise NotFound(f"gangguan {oid} bukan gangguan layanan ini")
        await k.run(lambda: desk().annotate(oid, form.get("penyebab", ""), visitor.acting()))
        return await layanan(request, f"Penyebab gangguan {oid} dicatat.")

    def desk() -> Desk:
        return Desk(host.config, host.store, host.clock)

    async def pemeliharaan(request: web.Request, message: str | None = None
                           ) -> web.StreamResponse:
        visitor = await k.visitor(request)
        person = visitor.person
        rows = await k.run(listing, host.config, host.store, person, host.clock.now())
        mine = [(sid, s.name, s.zone) for sid, s in host.config.services.items()
                if sid in person.services]
        rule = host.config.settings.maintenance
        return visitor.page("pemeliharaan.html.j2", jadwal=rows, layanan=mine, ulang=REPEAT,
                            pesan=message,
                            pemberitahuan=durasi_tepat(rule.min_notice.total_seconds()),
                            maksimum=durasi_tepat(rule.max_duration.total_seconds()))

    async def pemeliharaan_post(request: web.Request) -> web.StreamResponse:
        visitor = await k.visitor(request)
        form = await k.form(request, visitor)
        ids = form_list(form, "layanan")
        if not ids:
            raise BadInput("pilih sedikitnya satu layanan")
        zone = host.config.service(ids[0]).zone
        rrule = rrule_for(form.get("ulang", ""), form.get("mulai", ""), zone)
        wid, late = await k.run(lambda: desk().add_maintenance(
            ids, form.get("mulai", ""), form.get("selesai", ""), rrule,
            form.get("alasan", ""), visitor.acting()))
        said = (f"Jadwal {wid} terdaftar sebagai pemeliharaan terjadwal." if late is None else
                f"Jadwal {wid} terdaftar, tetapi terlambat ({ALASAN_TERLAMBAT[late]}): "
                "tidak mengecualikan gangguan sampai disetujui Penyedia Layanan.")
        return await pemeliharaan(request, said)

    async def setujui(request: web.Request) -> web.StreamResponse:
        visitor = await k.visitor(request)
        form = await k.form(request, visitor)
        wid = row_id(request.match_info["id"], "jadwal")
        approving = visitor.acting(form.get("totp"))
        allowed = await k.run(lambda: desk().approve_maintenance(wid, approving))
        return await pemeliharaan(request, f"Jadwal {wid} disetujui untuk "
                                  + ", ".join(host.config.services[s].name for s in allowed)
                                  + ".")

    app = web.Application(middlewares=[pages])
    app.router.add_get("/masuk", masuk)
    app.router.add_post("/masuk", masuk_post)
    app.router.add_post("/keluar", keluar)
    app.router.add_get("/", ringkasan)
    app.router.add_get("/layanan/{service}", layanan)
    app.router.add_post("/layanan/{service}/gangguan/{id}/penyebab", penyebab)
    app.router.add_get("/pemeliharaan", pemeliharaan)
    app.router.add_post("/pemeliharaan", pemeliharaan_post)
    app.router.add_post("/pemeliharaan/{id}/setujui", setujui)
    add_drp(app.router, k)
    add_reports(app.router, k)
    add_audit(app.router, k)
    return app


def returning(path: str | None) -> str:
    """Where to go after logging in: the Konsol page the person was on when their session
    ended (a local /konsol/ path only, never another site), else Ringkasan."""
    if path and path.startswith("/konsol/") and "//" not in path and "\\" not in path \
            and not path.startswith("/konsol/masuk") and len(path) <= 512:
        return path
    return "/konsol/"

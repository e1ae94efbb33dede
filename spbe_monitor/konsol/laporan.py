"""Konsol: Laporan. Formulir F per month and service as filed (HTML to read, PDF to
download), made or remade on request (provisional while the month runs), and signed
"Mengetahui" by the Penyedia Layanan: the sign-off is recorded against the PDF's SHA-256, so
a later regeneration with different bytes shows it as outdated. Formulir C and Formulir I
(evaluasi), which cover every service, are listed for people who answer for all of them.
A file is served only while its bytes still match the SHA-256 it was filed with."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from spbe_monitor.config.loader import Config
from spbe_monitor.config.models import Person
from spbe_monitor.errors import BadInput, NotFound
from spbe_monitor.konsol.core import Konsol
from spbe_monitor.ledger.store import Store
from spbe_monitor.monthly import months_back, parse_month
from spbe_monitor.reports.jobs import KIND_F, formulir_f_reports, month_over
from spbe_monitor.reports.words import nip, periode, waktu_detik

SHARED = {"formulir-c": "Formulir C — Rencana Keberlangsungan Layanan",
          "evaluasi": "Formulir I — Laporan Evaluasi Manajemen Layanan"}
TYPES = {"pdf": "application/pdf", "html": "text/html"}


def _latest(store: Store, kind: str, subject: str, period: str) -> dict[str, dict[str, Any]]:
    """The newest filing of each format."""
    return {r["format"]: r for r in store.reports(kind, period) if r["subject"] == subject}


def _filed(store: Store, kind: str, subject: str, period: str, sha256: str | None
           ) -> dict[str, dict[str, Any]]:
    """The newest filing of each format, or the filing with these very bytes."""
    if sha256 is None:
        return _latest(store, kind, subject, period)
    return {r["format"]: r for r in store.reports(kind, period)
            if r["subject"] == subject and r["sha256"] == sha256}


def month_view(config: Config, store: Store, person: Person, period: str, now: datetime
               ) -> dict[str, Any]:
    """Formulir F of each of the person's services for `period`, with its sign-off."""
    year, month = parse_month(period)
    zone = config.settings.timezone
    signed = store.signoffs(KIND_F, period)
    rows = []
    for sid in (s for s in config.services if s in person.services):
        filed = _latest(store, KIND_F, sid, period)
        pdf = filed.get("pdf")
        mine = [s for s in signed if s["subject"] == sid]
        last = mine[-1] if mine else None
        signer = config.people.get(last["nip"]) if last else None
        rows.append({
            "id": sid, "nama": config.services[sid].name,
            "berkas": sorted(filed), "sha256": pdf["sha256"] if pdf else None,
            "dibuat": waktu_detik(pdf["generated_at"], zone) if pdf else None,
            "sementara": bool(pdf and pdf["partial"]),
            "mengetahui": None if last is None else {
                "oleh": f"{signer.name if signer else last['nip']} (NIP {nip(last['nip'])})",
                "pada": waktu_detik(last["signed_at"], zone), "sha256": last["sha256"],
                "usang": pdf is None or pdf["sha256"] != last["sha256"]}})
    shared = []
    if set(config.services) <= set(person.services):
        for kind, title in SHARED.items():
            for r in store.reports(kind):
                if r["format"] == "pdf":
                    shared.append({"judul": title, "periode": r["period"], "kind": kind,
                                   "dibuat": waktu_detik(r["generated_at"], zone)})
    local = now.astimezone(ZoneInfo(zone))
    months = [f"{y:04d}-{m:02d}" for y, m in reversed(months_back(local.year, local.month, 13))]
    return {"periode": period, "periode_teks": periode(year, month), "layanan": rows,
            "bulan": [(m, periode(*parse_month(m))) for m in months], "bersama": shared,
            "berjalan": not month_over(config, list(config.services) or [], year, month, now)}


def filed_bytes(row: dict[str, Any]) -> bytes:
    """A filed file's bytes, refused when they no longer match the SHA-256 filed."""
    try:
        content = Path(row["path"]).read_bytes()
    except OSError:
        raise NotFound("berkas laporan tidak ditemukan di folder laporan") from None
    if hashlib.sha256(content).hexdigest() != row["sha256"]:
        raise BadInput("berkas laporan berubah di luar spbe-monitor (SHA-256 tidak sama "
                       "dengan saat diarsipkan); buat ulang laporan ini")
    return content


def add_reports(router: web.UrlDispatcher, k: Konsol) -> None:
    host = k.host

    def default_period() -> str:
        local = host.clock.now().astimezone(ZoneInfo(host.config.settings.timezone))
        year, month = months_back(local.year, local.month, 2)[0]
        return f"{year:04d}-{month:02d}"

    async def scoped(request: web.Request) -> tuple[Any, str, str]:
        visitor = await k.visitor(request)
        sid, period = request.match_info["service"], request.match_info["period"]
        parse_month(period)
        if sid not in host.config.services:
            raise NotFound(f"tidak ada layanan {sid[:64]!r}")
        await k.run(k.authority.service_view, visitor.acting(), sid)
        return visitor, sid, period

    async def index(request: web.Request) -> web.StreamResponse:
        visitor = await k.visitor(request)
        chosen = request.query.get("bulan") or default_period()
        data = await k.run(month_view, host.config, host.store, visitor.person, chosen,
                           host.clock.now())
        return visitor.page("laporan.html.j2", pesan=outcome(request, data), **data)

    def outcome(request: web.Request, data: dict[str, Any]) -> str | None:
        """What the act just done did, said on the page it redirected to (a reload of that
        page repeats nothing: every form here answers with a redirect)."""
        sid, done = request.query.get("layanan"), request.query.get("hasil")
        row = next((r for r in data["layanan"] if r["id"] == sid), None)
        if row is None or done not in ("dibuat", "sementara", "ditandatangani"):
            return None
        what = f"Formulir F {row['nama']} {data['periode_teks']}"
        if done == "ditandatangani" and row["mengetahui"]:
            return f"{what} ditandatangani Mengetahui (SHA-256 {row['mengetahui']['sha256']})."
        return f"{what} dibuat" + (" (sementara: bulan belum berakhir)." if done ==
                                   "sementara" else ".")

    def done(period: str, sid: str, what: str) -> web.HTTPSeeOther:
        query = urlencode({"bulan": period, "layanan": sid, "hasil": what})
        return web.HTTPSeeOther(f"/konsol/laporan?{query}")

    async def formulir_f(request: web.Request) -> web.StreamResponse:
        _, sid, period = await scoped(request)
        fmt = request.match_info["fmt"]
        wanted = request.query.get("sha256")  # a version filed earlier (one acknowledged)
        row = (await k.run(_filed, host.store, KIND_F, sid, period, wanted)).get(fmt)
        if row is None or fmt not in TYPES:
            raise NotFound(f"Formulir F {sid} {period} belum dibuat dalam format {fmt[:8]}")
        content = await k.run(filed_bytes, row)
        headers = {"Content-Disposition": f'attachment; filename="{Path(row["path"]).name}"'}
        return web.Response(body=content, content_type=TYPES[fmt],
                            headers=headers if fmt == "pdf" else None)

    async def make(request: web.Request) -> web.StreamResponse:
        visitor, sid, period = await scoped(request)
        await k.form(request, visitor)
        year, month = parse_month(period)
        now = host.clock.now()
        over = month_over(host.config, [sid], year, month, now)
        await k.run(lambda: formulir_f_reports(host.config, host.store, year, month, [sid],
                                               ("html", "pdf", "json"),
                                               host.config.reports_dir, now, partial=not over))
        await k.run(host.store.record_act, now, visitor.person.nip, "konsol.report",
                    f"{KIND_F}:{sid}/{period}")
        raise done(period, sid, "dibuat" if over else "sementara")

    async def sign(request: web.Request) -> web.StreamResponse:
        visitor, sid, period = await scoped(request)
        form = await k.form(request, visitor)
        pdf = (await k.run(_latest, host.store, KIND_F, sid, period)).get("pdf")
        if pdf is None:
            raise BadInput("Formulir F ini belum dibuat")
        if form.get("sha256") != pdf["sha256"]:
            raise BadInput("Formulir F dibuat ulang sejak halaman ini dibuka; periksa berkas "
                           "terbaru sebelum menandatangani")
        if pdf["partial"]:
            raise BadInput("laporan sementara (bulan belum berakhir) tidak ditandatangani")
        subject = f"{KIND_F}:{sid}/{period}"
        await k.run(k.authority.report_signoff, visitor.acting(form.get("totp")),
                    "Formulir F", [sid], subject)
        await k.run(host.store.sign_report, KIND_F, sid, period, pdf["sha256"],
                    visitor.person.nip, host.clock.now())
        raise done(period, sid, "ditandatangani")

    async def shared(request: web.Request) -> web.StreamResponse:
        visitor = await k.visitor(request)
        kind, period = request.match_info["kind"], request.match_info["period"]
        if kind not in SHARED:
            raise NotFound("laporan tidak dikenal")
        if not set(host.config.services) <= set(visitor.person.services):
            raise await k.run(k.authority.refuse, visitor.person.nip, "konsol.view",
                              f"{kind}:{period[:16]}", "not responsible for every service "
                              "this report covers")
        row = next((r for r in await k.run(host.store.reports, kind, period)
                    if r["format"] == "pdf"), None)
        if row is None:
            raise NotFound("laporan belum dibuat")
        content = await k.run(filed_bytes, row)
        return web.Response(body=content, content_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="{Path(row["path"]).name}"'})

    router.add_get("/laporan", index)
    router.add_get("/laporan/formulir-f/{period}/{service}.{fmt}", formulir_f)
    router.add_post("/laporan/formulir-f/{period}/{service}/buat", make)
    router.add_post("/laporan/formulir-f/{period}/{service}/mengetahui", sign)
    router.add_get("/laporan/{kind}/{period}.pdf", shared)

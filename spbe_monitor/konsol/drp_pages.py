"""Konsol: DRP. The playbooks of the person's services (approve a document with the
authenticator's code after reading its SHA-256 and the diff against the last approved
text), start a run, and the run page that refreshes itself while the run goes on, with the
act each open step asks for: tick a checklist and sign an assessment, fill the Tabel 4.3
analysis (its verdict shown before signing), declare, confirm a manual step, decide a failed
or in-doubt step, abort; Formulir G once it is over. Every act goes through `Drp`, as from
the CLI and the API, so the one room decides."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from spbe_monitor.api.common import row_id
from spbe_monitor.drp import review
from spbe_monitor.drp.operations import Drp
from spbe_monitor.drp.playbook import Playbook
from spbe_monitor.drp.status import RunState
from spbe_monitor.errors import BadInput, NotFound
from spbe_monitor.konsol.core import Konsol, Visitor, form_list, page
from spbe_monitor.konsol.drp_views import (
    KATEGORI,
    KEPUTUSAN,
    acts,
    afterwards,
    document,
    listing,
    playbooks,
    run_view,
    steers,
)
from spbe_monitor.regulation.disaster import Category, assess
from spbe_monitor.reports.jobs import formulir_g_report

REFRESH_SECONDS = 5
DONE = {"ditandatangani": "Langkah {step} ditandatangani.",
        "ulangi": "Langkah {step} akan diulang.", "lewati": "Langkah {step} dilewati.",
        "tandai-selesai": "Langkah {step} ditandai selesai.",
        "dihentikan": "Pelaksanaan dihentikan.",
        "dievaluasi": "Evaluasi Koordinator Pemulihan disimpan; Formulir G memuatnya.",
        "diketahui": "Formulir G ditandatangani Mengetahui.",
        "dilanjutkan": "Pelaksanaan dilanjutkan oleh daemon; langkah yang sedang berjalan saat "
                       "pelaksana terhenti menjadi diragukan."}


def _after(run_id: int, done: str, step: str = "") -> web.HTTPSeeOther:
    """Back to the run page after an act (so a refresh never repeats the act)."""
    query = f"?selesai={done}" + (f"&langkah={step}" if step else "")
    return web.HTTPSeeOther(f"/konsol/drp/pelaksanaan/{run_id}{query}")


def _number(form: dict[str, str], key: str, label: str) -> float:
    text = form.get(key, "").strip().replace(",", ".") or "0"
    try:
        value = float(text)
    except ValueError:
        raise BadInput(f"{label} harus berupa angka") from None
    if not 0 <= value <= 100_000:
        raise BadInput(f"{label} harus antara 0 dan 100.000")
    return value


def scenario(form: dict[str, str]) -> dict[str, Any]:
    """Tabel 4.3's inputs from the analysis form."""
    category = form.get("kategori", "")
    if category not in {c.value for c in Category}:
        raise BadInput("pilih kategori kejadian (Tabel 4.3)")
    return {"category": category,
            "recovery_days": _number(form, "hari_pemulihan", "perkiraan hari pemulihan"),
            "downtime_hours": _number(form, "jam_henti", "lama layanan terhenti (jam)"),
            "data_lost": form.get("data_hilang") == "ya"}


def add_drp(router: web.UrlDispatcher, k: Konsol) -> None:
    host = k.host

    def drp() -> Drp:
        return Drp(host.config, host.store, host.clock)

    async def book_of(visitor: Visitor, name: str) -> Playbook:
        """A playbook of the folder by id, seen only by people of its services."""
        books: list[Playbook | tuple[Any, str]] = await k.run(playbooks, host.config)
        found = [b for b in books if isinstance(b, Playbook) and b.id == name]
        if not found:
            raise NotFound(f"tidak ada playbook {name[:64]!r}")
        await k.run(k.authority.drp_view, visitor.acting(), found[0])
        return found[0]

    async def run_of(request: web.Request, visitor: Visitor) -> int:
        rid = row_id(request.match_info["run"], "pelaksanaan")
        book = await k.run(drp().playbook_of, rid)
        await k.run(k.authority.drp_view, visitor.acting(), book)
        return rid

    async def index(request: web.Request) -> web.StreamResponse:
        visitor = await k.visitor(request)
        data = await k.run(listing, drp(), visitor.person)
        return visitor.page("drp.html.j2", pesan=None, **data)

    async def playbook_page(request: web.Request, message: str | None = None
                            ) -> web.StreamResponse:
        visitor = await k.visitor(request)
        book = await book_of(visitor, request.match_info["playbook"])
        data = await k.run(document, drp(), book, visitor.person)
        return visitor.page("dokumen.html.j2", pesan=message, dokumen=data)

    async def approve_document(request: web.Request) -> web.StreamResponse:
        visitor = await k.visitor(request)
        form = await k.form(request, visitor)
        book = await book_of(visitor, request.match_info["playbook"])
        if form.get("sha256") != book.sha256:
            raise BadInput("isi playbook berubah sejak halaman ini dibuka; baca ulang "
                           "perbedaannya sebelum menyetujui")
        await k.run(drp().approve_document, book.id, visitor.acting(form.get("totp")))
        return await playbook_page(request, f"Dokumen DRP {book.id} versi {book.head.version} "
                                   f"disetujui (SHA-256 {book.sha256}).")

    async def start(request: web.Request) -> web.StreamResponse:
        visitor = await k.visitor(request)
        form = await k.form(request, visitor)
        book = await book_of(visitor, form.get("playbook", ""))
        mode = {"latihan": "drill", "bencana": "disaster"}.get(form.get("mode", ""))
        if mode is None:
            raise BadInput("pilih jenis pelaksanaan: latihan atau bencana")
        rid = await k.run(drp().start, book.id, mode, visitor.acting(),
                          form.get("kejadian") or None)
        host.drive_run(rid)
        raise web.HTTPSeeOther(f"/konsol/drp/pelaksanaan/{rid}")

    async def resume(request: web.Request) -> web.StreamResponse:
        """Carry on a run no runner drives (its terminal or daemon died)."""
        visitor = await k.visitor(request)
        await k.form(request, visitor)
        rid = await run_of(request, visitor)
        d = drp()
        status = await k.run(d.status, rid)
        if status.runner is None or status.runner.alive:
            raise BadInput("pelaksanaan ini sudah berakhir atau masih dijalankan pelaksana "
                           "lain")
        await k.run(d.authority.drp_steer, visitor.acting(), await k.run(d.playbook_of, rid),
                    "resuming a run", "drp.resume", f"drp-run:{rid}")
        host.drive_run(rid)
        raise _after(rid, "dilanjutkan")

    async def run_page(request: web.Request, preview: dict[str, Any] | None = None
                       ) -> web.StreamResponse:
        visitor = await k.visitor(request)
        rid = await run_of(request, visitor)
        done = DONE.get(request.query.get("selesai", "")) if preview is None else None
        message = done.format(step=request.query.get("langkah", "")[:64]) if done else None
        def read() -> dict[str, Any]:
            d = drp()
            status = d.status(rid)
            return {"run": run_view(d, status, host.clock.now()),
                    "tindakan": acts(d, rid, status, visitor.person),
                    "sesudah": afterwards(d, rid, status, visitor.person),
                    "boleh_kendali": steers(d, rid, visitor.person)}
        data = await k.run(read)
        return visitor.page("pelaksanaan.html.j2", pesan=message, pratinjau=preview,
                            kategori=KATEGORI, keputusan=KEPUTUSAN,
                            segarkan=REFRESH_SECONDS, **data)

    async def run_state(request: web.Request) -> web.StreamResponse:
        """The live part of the run page, fetched every few seconds by its script: it
        keeps no session alive (only a person's own request does)."""
        visitor = await k.visitor(request, polling=True)
        rid = await run_of(request, visitor)
        status = await k.run(drp().status, rid)
        data = await k.run(run_view, drp(), status, host.clock.now())
        return page("pelaksanaan_keadaan.html.j2", run=data)

    async def sign(request: web.Request) -> web.StreamResponse:
        visitor = await k.visitor(request)
        form = await k.form(request, visitor)
        rid, step = await run_of(request, visitor), request.match_info["step"]
        analysed = scenario(form) if step == "analyse" else None
        if analysed is not None and form.get("aksi") == "periksa":
            verdict = assess(Category(analysed["category"]), analysed["recovery_days"],
                             analysed["downtime_hours"], analysed["data_lost"])
            return await run_page(request, preview={
                "form": form, "respons": verdict.response.value, "baris": verdict.row,
                "alasan": verdict.reason})
        checked = form_list(form, "periksa")
        await k.run(lambda: drp().approve(rid, step, visitor.acting(form.get("totp")),
                                          form.get("catatan") or None, analysed, checked))
        raise _after(rid, "ditandatangani", step)

    async def decide(request: web.Request) -> web.StreamResponse:
        visitor = await k.visitor(request)
        form = await k.form(request, visitor)
        rid, step = await run_of(request, visitor), request.match_info["step"]
        decision = form.get("keputusan", "")
        if decision not in KEPUTUSAN:
            raise BadInput("pilih keputusan: ulangi, lewati atau tandai selesai")
        await k.run(lambda: drp().decide(rid, step, decision, form.get("alasan", ""),
                                         visitor.acting(), form.get("pulih") or None))
        raise _after(rid, KEPUTUSAN[decision].replace(" ", "-"), step)

    async def abort(request: web.Request) -> web.StreamResponse:
        visitor = await k.visitor(request)
        form = await k.form(request, visitor)
        rid = await run_of(request, visitor)
        await k.run(drp().abort, rid, form.get("alasan", ""), visitor.acting())
        raise _after(rid, "dihentikan")

    async def evaluate(request: web.Request) -> web.StreamResponse:
        visitor = await k.visitor(request)
        form = await k.form(request, visitor)
        rid = await run_of(request, visitor)
        parts = {"causes": form.get("penyebab", ""), "obstacles": form.get("kendala", ""),
                 "improvements": form.get("perbaikan", "")}
        await k.run(review.evaluate, drp(), rid, visitor.acting(), parts)
        raise _after(rid, "dievaluasi")

    async def acknowledge(request: web.Request) -> web.StreamResponse:
        visitor = await k.visitor(request)
        form = await k.form(request, visitor)
        rid = await run_of(request, visitor)
        await k.run(review.acknowledge, drp(), rid, visitor.acting(form.get("totp")),
                    form.get("sha256", ""))
        raise _after(rid, "diketahui")

    async def formulir_g(request: web.Request) -> web.StreamResponse:
        visitor = await k.visitor(request)
        rid = await run_of(request, visitor)
        run = await k.run(drp().journal.run, rid)
        if run["state"] is RunState.RUNNING:
            raise BadInput("Formulir G tersedia setelah pelaksanaan berakhir")
        written = await k.run(formulir_g_report, host.config, host.store, drp(), rid,
                              ("html", "pdf"), host.config.reports_dir, host.clock.now())
        pdf = next(w for w in written if w.fmt == "pdf")
        return web.Response(body=pdf.path.read_bytes(), content_type="application/pdf",
                            headers={"Content-Disposition":
                                     f'attachment; filename="{pdf.path.name}"'})

    router.add_get("/drp", index)
    router.add_post("/drp/mulai", start)
    router.add_get("/drp/playbook/{playbook}", playbook_page)
    router.add_post("/drp/playbook/{playbook}/setujui", approve_document)
    router.add_get("/drp/pelaksanaan/{run}", run_page)
    router.add_get("/drp/pelaksanaan/{run}/keadaan", run_state)
    router.add_post("/drp/pelaksanaan/{run}/langkah/{step}", sign)
    router.add_post("/drp/pelaksanaan/{run}/langkah/{step}/keputusan", decide)
    router.add_post("/drp/pelaksanaan/{run}/hentikan", abort)
    router.add_post("/drp/pelaksanaan/{run}/lanjutkan", resume)
    router.add_get("/drp/pelaksanaan/{run}/formulir-g.pdf", formulir_g)
    router.add_post("/drp/pelaksanaan/{run}/evaluasi", evaluate)
    router.add_post("/drp/pelaksanaan/{run}/mengetahui", acknowledge)

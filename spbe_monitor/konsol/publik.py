"""Status publik: `/status` without login, when `konsol.public_status` is on in spbe.yaml —
every service's name, health now and this month's availability against its target, read
from the same `ServiceMonth` as the Konsol and Formulir F. No NIPs, no causes, no outages'
details: the page citizens can be pointed to from the Katalog Layanan."""

from __future__ import annotations

import asyncio

from aiohttp import web

from spbe_monitor.api.common import Host
from spbe_monitor.konsol.core import page
from spbe_monitor.konsol.views import public_rows


def add_public_status(router: web.UrlDispatcher, host: Host) -> None:
    async def status(_: web.Request) -> web.StreamResponse:
        if not host.config.settings.konsol.public_status:
            return page("galat.html.j2", 404, judul="Tidak ditemukan",
                        alasan="halaman status publik tidak diaktifkan di instansi ini")
        data = await asyncio.to_thread(public_rows, host)
        response = page("status.html.j2", **data)
        response.headers["Cache-Control"] = "public, max-age=30"
        return response

    router.add_get("/status", status)

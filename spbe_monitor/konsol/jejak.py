"""Konsol: Jejak Audit. The audit log newest first, filtered by person, service and act,
with the chain's verification state (the same checks as `spbe audit verify`). Reads are
scoped as acts are: a person who answers for every service may see all of it; anyone else
sees the entries that mention one of their own services."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from spbe_monitor.config.loader import Config
from spbe_monitor.config.models import Person
from spbe_monitor.konsol.core import Konsol
from spbe_monitor.ledger.checkpoints import load_public, trusted_keys
from spbe_monitor.ledger.store import Store
from spbe_monitor.reports.words import nip, waktu_detik
from spbe_monitor.timeparse import parse_time

LIMIT = 300
HASIL = {"done": "dilakukan", "refused": "ditolak"}


def chain_state(config: Config, store: Store) -> tuple[bool, str]:
    """Whether the chain, its checkpoints and every evidence row verify; what was found."""
    count, problem = store.verify_audit()
    keys = [load_public(f) for f in trusted_keys(config.audit_key_path)]
    problems = ([problem] if problem else []) + store.verify_evidence(keys)
    if problems:
        return False, f"{len(problems)} masalah ditemukan: " + "; ".join(problems[:5])
    signed = f"tanda tangan titik periksa diverifikasi dengan {len(keys)} kunci" if keys \
        else "belum ada kunci penanda tangan"
    return True, f"{count} entri utuh, baris bukti sesuai segelnya, {signed}"


def trail(config: Config, store: Store, person: Person, query: dict[str, str]
          ) -> dict[str, Any]:
    everything = set(config.services) <= set(person.services)
    mine = [s for s in config.services if s in person.services]
    service = query.get("layanan", "")
    if service not in mine and not (everything and service == ""):
        service = "" if everything else (mine[0] if mine else "-")
    zone = config.settings.timezone
    since = parse_time(query["sejak"], zone, "sejak") if query.get("sejak") else None
    actor = query.get("orang", "").strip()[:64] or None
    action = query.get("tindakan", "").strip()[:64] or None
    entries = store.audit_search(since, actor, action, service or None, LIMIT)
    names = {p.nip: p.name for p in config.people.values()}
    intact, said = chain_state(config, store)
    return {
        "entri": [{"id": e.id, "pada": waktu_detik(e.at, zone),
                   "oleh": f"{names[e.actor]} ({nip(e.actor)})" if e.actor in names
                   else e.actor, "tindakan": e.action, "subjek": e.subject,
                   "hasil": HASIL.get(e.outcome, e.outcome), "kode": e.outcome,
                   "rincian": json.dumps(e.after, ensure_ascii=False, sort_keys=True)
                   if e.after else ""} for e in entries],
        "utuh": intact, "verifikasi": said, "batas": LIMIT,
        "pilihan_layanan": ([("", "semua layanan")] if everything else [])
        + [(s, config.services[s].name) for s in mine],
        "filter": {"layanan": service, "orang": actor or "", "tindakan": action or "",
                   "sejak": query.get("sejak", "")}}


def add_audit(router: web.UrlDispatcher, k: Konsol) -> None:
    async def index(request: web.Request) -> web.StreamResponse:
        visitor = await k.visitor(request)
        data = await k.run(trail, k.host.config, k.host.store, visitor.person,
                           dict(request.query))
        return visitor.page("jejak.html.j2", **data)

    router.add_get("/jejak", index)

"""Konsol: Jejak Audit. The audit log newest first, filtered by person, service and act,
with the chain's verification state (the same checks as `spbe audit verify`). Reads are
scoped as acts are: a person who answers for every service may see all of it; anyone else
sees the entries that mention one of their own services."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from spbe_monitor.config.loader import Config
from spbe_monitor.config.models import Person
from spbe_monitor.konsol.alasan import indonesian
from spbe_monitor.konsol.core import Konsol
from spbe_monitor.ledger.checkpoints import load_public, trusted_keys
from spbe_monitor.ledger.store import Store
from spbe_monitor.ledger.verify import verify, witness_files
from spbe_monitor.reports.words import nip, waktu_detik
from spbe_monitor.timeparse import parse_time

LIMIT = 300
HASIL = {"done": "dilakukan", "refused": "ditolak"}


FULL_EVERY = timedelta(hours=1)


@dataclass
class ChainWatch:
    """What Jejak Audit says about the chain, without re-reading all of it on every page
    (0.8 s at 11,000 entries): the whole chain, the checkpoint signatures and every
    evidence row are verified at most hourly; between, only the entries written since the
    last verified one, after checking that entry still has the hash it had. A problem
    found stays shown until a full verification finds the ledger whole again."""

    verified: tuple[int, str] | None = None
    full_at: datetime | None = None
    count: int = 0
    problems: list[str] = field(default_factory=list)
    keys: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def state(self, config: Config, store: Store, now: datetime) -> tuple[bool, str]:
        with self.lock:
            if self.full_at is None or now - self.full_at >= FULL_EVERY or self.problems:
                self._full(config, store, now)
            else:
                self._tail(store)
        if self.problems:
            return False, (f"{len(self.problems)} masalah ditemukan: "
                           + "; ".join(self.problems[:5]))
        signed = (f"tanda tangan titik periksa diverifikasi dengan {self.keys} kunci"
                  if self.keys else "belum ada kunci penanda tangan")
        assert self.full_at is not None
        return True, (f"{self.count} entri utuh, baris bukti sesuai segelnya, {signed} "
                      f"(verifikasi penuh {waktu_detik(self.full_at, config.settings.timezone)}"
                      ", entri sesudahnya diperiksa saat halaman dibuka)")

    def _full(self, config: Config, store: Store, now: datetime) -> None:
        head = store.last_entry()
        keys = [load_public(f) for f in trusted_keys(config.audit_key_path)]
        verdict = verify(store, keys, witness_files(config.audit_key_path))
        self.problems = verdict.problems
        self.count, self.keys, self.full_at = verdict.entries, verdict.keys, now
        self.verified = None if self.problems else head

    def _tail(self, store: Store) -> None:
        head = store.last_entry()
        if head is None or head == self.verified:
            return
        more, problem = store.verify_audit(self.verified)
        if problem:
            self.problems = [problem]
            return
        self.count += more
        self.verified = head


def trail(config: Config, store: Store, person: Person, query: dict[str, str],
          chain: ChainWatch, now: datetime) -> dict[str, Any]:
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
    intact, said = chain.state(config, store, now)
    return {
        "entri": [{"id": e.id, "pada": waktu_detik(e.at, zone),
                   "oleh": f"{names[e.actor]} ({nip(e.actor)})" if e.actor in names
                   else e.actor, "tindakan": e.action, "subjek": e.subject,
                   "hasil": HASIL.get(e.outcome, e.outcome), "kode": e.outcome,
                   "rincian": _detail(e.after)} for e in entries],
        "utuh": intact, "verifikasi": said, "batas": LIMIT,
        "pilihan_layanan": ([("", "semua layanan")] if everything else [])
        + [(s, config.services[s].name) for s in mine],
        "filter": {"layanan": service, "orang": actor or "", "tindakan": action or "",
                   "sejak": query.get("sejak", "")}}


def add_audit(router: web.UrlDispatcher, k: Konsol) -> None:
    chain = ChainWatch()

    async def index(request: web.Request) -> web.StreamResponse:
        visitor = await k.visitor(request)
        data = await k.run(trail, k.host.config, k.host.store, visitor.person,
                           dict(request.query), chain, k.host.clock.now())
        return visitor.page("jejak.html.j2", **data)

    router.add_get("/jejak", index)


def _detail(after: dict[str, Any] | None) -> str:
    """An entry's details, a refusal's reason in Bahasa Indonesia (the log keeps the room's
    own words; `spbe audit export` shows them)."""
    if not after:
        return ""
    shown = dict(after)
    if isinstance(shown.get("reason"), str):
        shown["alasan"] = indonesian(shown.pop("reason"))
    return json.dumps(shown, ensure_ascii=False, sort_keys=True)

"""What a war room is told while a run goes on, and where: every webhook and address the
playbook lists hears of each event that asks for attention — a phase begun (the declaration
signed, normalisation reached), a step failed and waiting for a decision, the RTO met, a
runner lost and another taking over, the run finished, failed or aborted — with the run,
the step, the RTO so far and a link to the run's page in the Konsol; and, with a bot
configured (`telegram:` in spbe.yaml), the Telegram chats of the people of its services."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from spbe_monitor.clock import Clock
from spbe_monitor.config.loader import Config
from spbe_monitor.drp.playbook import Playbook
from spbe_monitor.drp.steps.base import StepContext
from spbe_monitor.drp.steps.notify import mail, post
from spbe_monitor.probers.context import ProbeContext

# the subject line an official reads, per event
JUDUL = {"phase.recovery": "deklarasi ditandatangani, fase pemulihan dimulai",
         "phase.normalisation": "fase normalisasi dimulai",
         "step.failed": "langkah gagal, menunggu keputusan Koordinator Pemulihan",
         "rto.met": "layanan pulih di situs sekunder",
         "runner.resumed": "pelaksana sebelumnya hilang, dilanjutkan pelaksana lain",
         "run.done": "pelaksanaan selesai", "run.failed": "pelaksanaan gagal",
         "run.aborted": "pelaksanaan dihentikan"}


@dataclass(frozen=True)
class Announcement:
    event: str
    run: int
    playbook: str
    mode: str
    step: str | None
    detail: str | None
    rto_target_seconds: float | None
    rto_elapsed_seconds: float | None  # since the disaster struck (a drill: its start)
    konsol: str

    def subject(self) -> str:
        latihan = "latihan" if self.mode == "drill" else "bencana"
        return f"DRP {self.playbook} ({latihan}): {JUDUL.get(self.event, self.event)}"

    def body(self) -> str:
        lines = [f"Pelaksanaan DRP nomor {self.run}, rencana {self.playbook}: "
                 f"{JUDUL.get(self.event, self.event)}."]
        if self.step:
            lines.append(f"Langkah: {self.step}" + (f" — {self.detail}" if self.detail else ""))
        if self.rto_target_seconds is not None and self.rto_elapsed_seconds is not None:
            lines.append(f"RTO: {_durasi(self.rto_elapsed_seconds)} berjalan dari target "
                         f"{_durasi(self.rto_target_seconds)}.")
        lines.append(f"Buka di Konsol: {self.konsol}")
        return "\n".join(lines)


def _durasi(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60} jam {minutes % 60} menit" if minutes >= 60 else f"{minutes} menit"


def konsol_base(config: Config) -> str:
    server = config.settings.server
    if config.settings.konsol.url:
        return config.settings.konsol.url.rstrip("/")
    host = "127.0.0.1" if server.listen in ("0.0.0.0", "::") else server.listen
    return f"{'https' if server.tls else 'http'}://{host}:{server.port}"


def announcement(config: Config, book: Playbook, run_id: int, run: dict[str, Any],
                 event: str, now: datetime, step: str | None = None,
                 detail: str | None = None) -> Announcement:
    service = config.services.get(book.head.services[0])
    target = service.rto.total_seconds() if service is not None and service.rto else None
    since = run.get("disaster_at") or run.get("started_at")
    return Announcement(event, run_id, book.id, str(run["mode"]), step, detail, target,
                        (now - since).total_seconds() if since else None,
                        f"{konsol_base(config)}/konsol/drp/pelaksanaan/{run_id}")


def run_facts(run_id: int, book: Playbook, run: dict[str, Any]) -> dict[str, Any]:
    """The run as a step and an announcement see it (JSON-safe: notifications send it)."""
    return {"id": run_id, "playbook": book.id, "mode": run["mode"],
            "disaster_at": run["disaster_at"].isoformat()}


def tell_now(config: Config, book: Playbook, run_id: int, run: dict[str, Any], event: str,
             clock: Clock) -> list[str]:
    """Announce from outside a runner — a run aborted while nobody drove it would otherwise
    end in silence; what could not be told, for the caller to say."""
    news = announcement(config, book, run_id, run, event, clock.now())
    ctx = StepContext(config, clock, ProbeContext(), run_facts(run_id, book, run))
    return asyncio.run(tell(book, news, ctx))


async def tell(book: Playbook, news: Announcement, ctx: StepContext) -> list[str]:
    """Every webhook (the announcement as JSON) and the playbook's addresses; what could not
    be told, for the runner's output."""
    failed = []
    for url in book.head.webhooks:
        outcome = await post(url, asdict(news), ctx)
        if not outcome.ok:
            failed.append(f"webhook {url}: {outcome.message}")
    if book.head.emails:
        outcome = await mail(book.head.emails, news.subject(), news.body(), ctx)
        if not outcome.ok:
            failed.append(f"e-mail: {outcome.message}")
    return failed + await _telegram(book, news, ctx)


async def _telegram(book: Playbook, news: Announcement, ctx: StepContext) -> list[str]:
    """The announcement to the Telegram chats of the people of the playbook's services."""
    bot = ctx.config.settings.telegram
    chats = sorted({p.telegram_chat_id for p in ctx.config.people.values()
                    if p.telegram_chat_id is not None
                    and set(p.services) & set(book.head.services)})
    if bot is None or not chats:
        return []
    try:
        token = (ctx.config.path.parent / bot.token_file).read_text().strip()
    except OSError as exc:
        return [f"telegram: the bot token file cannot be read ({exc.strerror})"]
    failed = []
    url = f"{bot.api_url.rstrip('/')}/bot{token}/sendMessage"
    for chat in chats:
        outcome = await post(url, {"chat_id": chat, "text": f"{news.subject()}\n\n"
                                   f"{news.body()}"}, ctx)
        if not outcome.ok:  # the token is part of the URL: never in what is said
            failed.append(f"telegram chat {chat}: {outcome.message.replace(token, '…')}")
    return failed

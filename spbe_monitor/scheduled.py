"""The daemon's timed jobs, all of which must run once: on a lone daemon, or on the
cluster's leader (a member that does not lead skips them). Month-end Formulir F on the 1st
at 00:05, an audit checkpoint every minute the chain moved and at once after a person's act
(so no entry stays unsigned longer; a deleted tail entry is then a gap a checkpoint names),
retention nightly — in the configured zone."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.typedefs import Middleware
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from spbe_monitor import retention
from spbe_monitor.errors import first_line
from spbe_monitor.ledger import backup
from spbe_monitor.ledger.checkpoints import load_public, trusted_keys
from spbe_monitor.reports.jobs import month_end, month_end_missed

if TYPE_CHECKING:
    from spbe_monitor.app import App

log = logging.getLogger("spbe.app")
CHECKPOINT = "audit-checkpoint"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def signed_after_acts(jobs_of: Callable[[], AsyncIOScheduler | None]) -> Middleware:
    """A person's act (a POST that succeeded, on the API or in the Konsol, whose pages
    answer it with a redirect) is signed at once: the checkpoint job runs now, not within
    the minute. Agents' results are observations, not acts."""

    def sign_now(request: web.Request, status: int) -> None:
        if request.method != "POST" or status >= 400 or request.path.startswith(
                "/api/v1/agent/"):
            return
        jobs = jobs_of()
        job = jobs.get_job(CHECKPOINT) if jobs is not None and jobs.running else None
        if job is not None:
            job.modify(next_run_time=datetime.now(UTC))

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:  # the Konsol's 303 after a form
            sign_now(request, exc.status)
            raise
        sign_now(request, response.status)
        return response

    return middleware


def scheduler(app: App) -> AsyncIOScheduler:
    zone = app.config.settings.timezone
    jobs = AsyncIOScheduler(timezone=zone)

    async def formulir_f() -> None:
        if not app.leads():
            return
        try:
            await asyncio.to_thread(month_end, app.config, app.store, app.clock.now())
        except Exception:
            log.exception("month-end reports failed; rerun `spbe report formulir-f`")
        await checkpoint()

    async def checkpoint() -> None:
        if not app.leads():
            return
        try:
            await asyncio.to_thread(app.signer().checkpoint, app.store.engine,
                                    app.clock.now(), True)
        except Exception as exc:
            log.error("could not sign an audit checkpoint: %s", first_line(exc))

    async def retain() -> None:
        if not app.leads():
            return
        try:
            done = await asyncio.to_thread(retention.run, app.config, app.store,
                                           app.clock.now())
            if done:
                log.info("retention: %d month(s) rolled up", len(done))
        except Exception:  # resumable: the next run picks up where this one stopped
            log.exception("retention failed; rerun with `spbe db retain`")

    async def ledger_backup() -> None:
        if not app.leads() or app.store.engine.dialect.name != "sqlite":
            return  # PostgreSQL: pg_dump or a replica (docs/drp.md)
        settings = app.config.settings.backup
        try:
            done = await asyncio.to_thread(
                backup.take, app.config.database_url, app.config.backup_dir, app.clock.now(),
                [load_public(f) for f in trusted_keys(app.config.audit_key_path)],
                settings.keep)
            log.info("ledger backup %s verified (%d entries)", done.path, done.entries)
        except Exception as exc:
            log.error("ledger backup failed: %s; run `spbe db backup`", first_line(exc))

    if app.config.settings.backup.enabled:
        hour, minute = (int(x) for x in app.config.settings.backup.at.split(":"))
        jobs.add_job(ledger_backup, CronTrigger(hour=hour, minute=minute, timezone=zone),
                     id="ledger-backup", coalesce=True, misfire_grace_time=6 * 3600)
    jobs.add_job(formulir_f, CronTrigger(day=1, hour=0, minute=5, timezone=zone),
                 id="formulir-f", coalesce=True, misfire_grace_time=6 * 3600)
    jobs.add_job(checkpoint, IntervalTrigger(minutes=1), id=CHECKPOINT, coalesce=True)
    hour, minute = (int(x) for x in app.config.settings.retention.at.split(":"))
    jobs.add_job(retain, CronTrigger(hour=hour, minute=minute, timezone=zone),
                 id="retention", coalesce=True, misfire_grace_time=6 * 3600)
    return jobs


async def missed_month_end(app: App) -> None:
    """A new leader files what a lost one may have missed (the job is idempotent)."""
    try:
        missed = await asyncio.to_thread(month_end_missed, app.config, app.store,
                                         app.clock.now())
        if missed and app.leads():
            log.warning("month-end reports not filed yet: filing them now")
            await asyncio.to_thread(month_end, app.config, app.store, app.clock.now())
    except Exception:
        log.exception("month-end reports failed; rerun `spbe report formulir-f`")

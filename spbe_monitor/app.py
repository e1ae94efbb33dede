"""The daemon: builds everything from a Config and owns start-up and shutdown order.

Start: take the ledger's lock (one daemon per ledger), replay writes an earlier run left in
the spool, close outages it left open (at its last observation, flagged), open a heartbeat
session, start the durable writer, the probe runner and the HTTP server. In a cluster
(`cluster.enabled`, PostgreSQL) the lock is shared, the daemon joins the membership and
evaluates only the units it is given; jobs that run once run on the leader.
SIGHUP: reload the config; swap only if it is valid and needs no restart. SIGTERM: stop
starting probes, let in-flight ones finish briefly, flush, write the shutdown mark.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import logging
import signal
import socket
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from spbe_monitor import __version__, scheduled
from spbe_monitor.api.common import errors
from spbe_monitor.api.guard import Guard, raise_descriptor_limit
from spbe_monitor.api.https import forwarded, tls_context
from spbe_monitor.api.routes import add_api
from spbe_monitor.clock import Clock
from spbe_monitor.cluster.member import ClusterMember
from spbe_monitor.config.loader import Config
from spbe_monitor.config.quick import LEDGER_HEADER, ledger_fingerprint
from spbe_monitor.errors import ConfigError, Refused, SpbeError, first_line
from spbe_monitor.exporter.collector import DaemonFacts, SpbeCollector
from spbe_monitor.exporter.ledger_view import LedgerView, read_view
from spbe_monitor.konsol.publik import add_public_status
from spbe_monitor.konsol.web import konsol_app
from spbe_monitor.ledger import sites
from spbe_monitor.ledger.checkpoints import Signer
from spbe_monitor.ledger.durable import DurableWriter
from spbe_monitor.ledger.lock import Holder, LedgerLock
from spbe_monitor.ledger.spool import Spool
from spbe_monitor.ledger.store import Store
from spbe_monitor.localtime import read_time
from spbe_monitor.monitor.engine import Monitor
from spbe_monitor.monitor.runner import Runner
from spbe_monitor.probers.context import ProbeContext
from spbe_monitor.run_session import RunSession
from spbe_monitor.secretbox import SecretBox
from spbe_monitor.status import snapshot

log = logging.getLogger("spbe.app")
VIEW_REFRESH_SECONDS = 5.0
SITES_POLL_SECONDS = 2.0  # a switch's effect is dated by the ledger; this is only how soon


class MalformedRequests(logging.Filter):
    """aiohttp logs a malformed request (a 10 kB request line, garbage on the port) as an
    ERROR with a traceback before any handler runs; it is the client's fault, answered 400:
    one INFO line is enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError):
            record.msg, record.args = "refused a malformed request: %s %s", (
                exc.code, str(exc.message)[:160])
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


logging.getLogger("aiohttp.server").addFilter(MalformedRequests())


def restart_needed(old: Config, new: Config) -> list[str]:
    """Settings a running daemon cannot take over live."""
    changed = []
    if old.settings.server != new.settings.server:
        changed.append("server")
    if old.database_url != new.database_url:
        changed.append("database")
    if old.spool_path != new.spool_path:
        changed.append("spool")
    if old.settings.timezone != new.settings.timezone:
        changed.append("timezone")
    if old.settings.cluster != new.settings.cluster:
        changed.append("cluster")
    return changed


class App:
    def __init__(self, config: Config, store: Store, clock: Clock,
                 reload: Callable[[], Config] | None = None,
                 held: LedgerLock | None = None) -> None:
        """`held`: the ledger's lock, already taken (`spbe run` takes it before loading the
        daemon, so a second daemon is refused at once)."""
        self.config = config
        self.store = store
        self.clock = clock
        self._reload = reload
        self._stop = asyncio.Event()
        self.session: RunSession | None = None  # this run's, once it started
        self.jobs: AsyncIOScheduler | None = None  # the timed jobs, once the daemon runs
        self.writer = DurableWriter(store.engine, Spool(config.spool_path), clock.now)
        self.cluster = ClusterMember(config, self.writer, self.assign) \
            if config.settings.cluster.enabled else None
        self.lock = held or LedgerLock(store.engine, Holder.me(),
                                       shared=self.cluster is not None,
                                       zone=config.settings.timezone)
        self._held = held is not None
        self.failure: SpbeError | None = None  # why the daemon stopped itself
        self._sites_seen = 0  # the newest site switch applied
        self.ctx = ProbeContext()
        self.monitor = Monitor(self.evaluated(config), self.writer.submit, clock)
        self.runner: Runner | None = None
        self._runner_task: asyncio.Task[None] | None = None
        self.last_reload_ok: bool | None = None
        self.loaded_at = clock.now().timestamp()
        self.view = LedgerView()
        self.drives_runs = True  # DRP runs started in the Konsol are driven here
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(SpbeCollector(
            lambda: self.monitor, lambda: self.view,
            lambda: DaemonFacts(self.runner, self.last_reload_ok, self.loaded_at,
                                self.writer.health(), self.config, self.leads(),
                                self.cluster.view if self.cluster else None)))

    def leads(self) -> bool:
        """Jobs that must run once run here: always alone, in a cluster on the leader."""
        return self.cluster is None or self.cluster.leadership.leading

    def evaluated(self, config: Config) -> Config:
        """The part of the config this daemon probes and judges: all of it alone, in a
        cluster the units it holds."""
        if self.cluster is None:
            return config
        held = [u for k, u in self.cluster.units.items() if k in self.cluster.view.held]
        services = {s for u in held for s in u.services}
        probes = {p for u in held for p in u.probes}
        return dataclasses.replace(
            config, services={k: v for k, v in config.services.items() if k in services},
            probes={k: v for k, v in config.probes.items() if k in probes})

    async def assign(self, held: frozenset[str]) -> None:
        """The cluster gave this member another set of units: probe and judge those."""
        assert self.cluster is not None
        self.cluster.view.held = held
        await self._stop_runner(grace=1.0)
        self.monitor = Monitor(self.evaluated(self.config), self.writer.submit, self.clock,
                               previous=self.monitor,
                               gone="handed over to another cluster member")
        self.monitor.flush_transitions()  # before the release that follows
        if not self._stop.is_set():
            self._start_runner()

    def drive_run(self, run_id: int) -> None:
        """Drive a DRP run from this daemon (started or resumed in the Konsol)."""
        if self.drives_runs:
            from spbe_monitor.drp.background import drive

            drive(self.config, self.store, self.clock, run_id)

    def _routes(self) -> web.Application:
        # 1 MiB: agents push their results in batches
        app = web.Application(middlewares=[forwarded(self.config.settings.server), errors,
                                           scheduled.signed_after_acts(lambda: self.jobs)],
                              client_max_size=1024 * 1024)
        add_api(app.router, self)
        app.add_subapp("/konsol/", konsol_app(self))
        add_public_status(app.router, self)
        ledger = ledger_fingerprint(self.config.database_url)

        async def stamp(_: web.Request, response: web.StreamResponse) -> None:
            response.headers[LEDGER_HEADER] = ledger  # the CLI reads through us only if ours

        app.on_response_prepare.append(stamp)

        async def healthy(_: web.Request) -> web.Response:
            return web.Response(text=f"spbe-monitor {__version__} is healthy\n")

        async def ready(_: web.Request) -> web.Response:
            h = self.writer.health()
            if h.pending:
                since = read_time(h.since, self.config.settings.timezone) if h.since else "?"
                return web.Response(status=503, text=f"not ready: {h.pending} ledger writes "
                                    f"pending since {since} ({h.reason})\n")
            if self.session is None or self.session.id is None:
                return web.Response(status=503, text="not ready: ledger session not open\n")
            return web.Response(text="ready\n")

        async def status(_: web.Request) -> web.Response:
            return web.json_response(snapshot(self.monitor, self.runner, self.clock.now(),
                                              self.view.drp, self.writer.health()))

        async def metrics(_: web.Request) -> web.Response:
            body = await asyncio.to_thread(generate_latest, self.registry)
            return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

        app.router.add_get("/metrics", metrics)
        app.router.add_get("/-/healthy", healthy)
        app.router.add_get("/-/ready", ready)
        app.router.add_get("/api/v1/status", status)
        return app

    def _start_runner(self) -> None:
        # The config and the state built on it live as long as this runner: out of the
        # collector's way (each full collection walked every probe's objects again; 9 %
        # more HTTPS checks per CPU-second in bench/probe_throughput.py).
        gc.collect()
        gc.freeze()
        here = self.config.settings.location  # the rest are probed by agents
        probes = {pid: p for pid, p in self.monitor.config.probes.items()
                  if not p.locations or here in p.locations}
        self.runner = Runner(probes, self.monitor.on_result, self.clock, self.ctx,
                             self.config.settings.max_concurrency)
        self._runner_task = asyncio.create_task(self.runner.run(self._stop))

    async def _stop_runner(self, grace: float = 5.0) -> None:
        if self._runner_task is None or self.runner is None:
            return
        self._runner_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._runner_task
        await self.runner.drain(grace)
        self._runner_task = None
        gc.unfreeze()  # what the next config replaces is collectable again

    async def reload(self) -> None:
        """Atomic: a config that fails to load leaves the running one untouched."""
        if self._reload is None:
            return
        try:
            new = await asyncio.to_thread(self._reload)
        except ConfigError as exc:
            self.last_reload_ok = False
            log.error("reload refused, keeping the running config:\n%s", exc)
            return
        changed = restart_needed(self.config, new)
        if changed:
            self.last_reload_ok = False
            log.error("reload refused, keeping the running config: restart needed to change "
                      "%s", ", ".join(changed))
            return
        await self._stop_runner()
        if self.cluster is not None:
            self.cluster.use(new)
        self.monitor = Monitor(self.evaluated(new), self.writer.submit, self.clock,
                               previous=self.monitor)
        self.config = new
        self._start_runner()
        self.last_reload_ok = True
        self.loaded_at = self.clock.now().timestamp()
        log.info("config reloaded: %d probes, %d services", len(new.probes), len(new.services))

    async def _heartbeat(self) -> None:
        """Every second: buffered transitions to the ledger and, every heartbeat_interval
        (1 s by default), the heartbeat that marks time as observed — one transaction."""
        next_beat = self.clock.monotonic()
        while not self._stop.is_set():
            interval = self.config.settings.heartbeat_interval.total_seconds()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=min(1.0, interval))
            self.monitor.tick()
            self.monitor.flush_transitions()
            if not self._stop.is_set() and self.clock.monotonic() >= next_beat:
                next_beat = self.clock.monotonic() + interval
                session = self.session
                assert session is not None
                if session.id is None:  # the start was spooled: is it in the ledger yet?
                    await asyncio.to_thread(session.find)
                self.writer.submit(session.beat())

    async def _refresh_view(self) -> None:
        """Month-to-date figures and open outages for /metrics, read off the event loop;
        and the ledger lock, which a PostgreSQL restart takes away, taken again."""
        complained = -60.0
        while not self._stop.is_set():
            try:
                self.view = await asyncio.to_thread(read_view, self.config, self.store,
                                                    self.clock) if self.leads() else LedgerView()
            except Exception as exc:
                if self.clock.monotonic() - complained >= 60:
                    complained = self.clock.monotonic()
                    log.warning("reading the ledger for metrics failed: %s", first_line(exc))
            if not await asyncio.to_thread(self.lock.check):
                self.failure = Refused("another daemon took the ledger's lock while the "
                                       "database was away; stopping")
                log.error("%s", self.failure)
                self.stop()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=VIEW_REFRESH_SECONDS)

    async def _follow_sites_once(self, at_start: bool = False) -> None:
        """Apply the site switches recorded since the last look (a DRP runner in another
        process, or a Koordinator's switch, writes them to the ledger); at start, every
        switch the ledger holds, before any probe is judged."""
        for switch in await asyncio.to_thread(sites.switches, self.store.engine,
                                              self._sites_seen):
            self.monitor.switch_site(switch, at_start)
            self._sites_seen = switch.id

    async def _follow_sites(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=SITES_POLL_SECONDS)
            try:
                await self._follow_sites_once()
            except Exception as exc:  # the ledger is away: the next look catches up
                log.warning("reading the site switches failed: %s", first_line(exc))

    def signer(self) -> Signer:
        """The audit key, created (0600) the first time the daemon needs it."""
        return Signer.load_or_create(self.config.audit_key_path)

    def encrypt_secrets(self) -> None:
        """The secrets key exists from the first start; secrets stored in plain text by an
        older version are encrypted with it."""
        box = SecretBox.load_or_create(self.config.secrets_key_path)
        done = self.store.encrypt_plain_totp(box.seal, self.clock.now())
        if done:
            log.warning("encrypted %d TOTP secret(s) stored in plain text", done)

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        if not self._held:
            await asyncio.to_thread(self.lock.acquire)
        try:
            await self._run()
        finally:
            self.lock.release()
        if self.failure is not None:
            raise self.failure

    async def _run(self) -> None:
        server = self.config.settings.server
        started = self.clock.now()
        accepting = await asyncio.to_thread(self.writer.replay)
        if not accepting and self.cluster is not None:  # members coordinate through it
            raise SpbeError(f"the ledger does not accept writes: {self.writer.reason}")
        log.info("open-files limit %d", raise_descriptor_limit())
        runner = web.AppRunner(self._routes(), access_log=None,
                               keepalive_timeout=server.idle_timeout.total_seconds())
        await runner.setup()
        assert runner.server is not None
        Guard(runner.server, server)  # lives in the server's connection hooks
        site = web.TCPSite(runner, server.listen, server.port, ssl_context=tls_context(
            server, self.config.path.parent))
        await site.start()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        tasks: set[asyncio.Task[Any]] = set()
        loop.add_signal_handler(signal.SIGHUP, lambda: tasks.add(
            asyncio.create_task(self.reload())))
        await asyncio.to_thread(self.signer)  # the audit key exists from the first start
        session = self.session = RunSession(
            self.store, self.writer, self.clock, f"{socket.gethostname()}:{server.port}",
            started, self.cluster is not None)
        spooled = await asyncio.to_thread(session.open, accepting, self.encrypt_secrets)
        if spooled is not None:  # the writer's queue is the event loop's
            self.writer.submit(spooled)
        await self._follow_sites_once(at_start=True)
        writer = asyncio.create_task(self.writer.run())
        viewer = asyncio.create_task(self._refresh_view())
        follower = asyncio.create_task(self._follow_sites())
        scheduler = self.jobs = scheduled.scheduler(self)
        scheduler.start()
        self._start_runner()
        if self.cluster is not None:
            assert session.id is not None  # a member starts only on a writable ledger
            await self.cluster.join(session.id)
            self.cluster.on_leading = lambda: tasks.add(asyncio.create_task(
                scheduled.missed_month_end(self)))
            tasks.add(asyncio.create_task(self.cluster.run(self._stop)))
        log.info("listening on %s://%s:%d, %d probes, ledger session %s",
                 "https" if server.tls else "http", server.listen, server.port,
                 len(self.config.probes), session.id or "(spooled)")
        try:
            await self._heartbeat()
        finally:
            scheduler.shutdown(wait=False)
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._stop_runner()
            await viewer
            await follower
            if self.cluster is not None:
                await self.cluster.leave()
            self.monitor.flush()
            self.writer.submit(session.beat())
            self.writer.close()
            await writer
            await runner.cleanup()
            await asyncio.to_thread(session.close)
            if self.cluster is not None:
                await asyncio.to_thread(self.cluster.left)

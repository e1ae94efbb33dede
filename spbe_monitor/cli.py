"""The `spbe` command: parse, call, print. Exit codes: 0 ok, 1 failure, 2 bad input, 3 refused."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import sys
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from spbe_monitor.availability.formula import Late
from spbe_monitor.clock import SystemClock
from spbe_monitor.config.fields import format_duration
from spbe_monitor.config.loader import Config, load_config
from spbe_monitor.config.models import Maintenance
from spbe_monitor.errors import BadInput, ConfigError, Refused, SpbeError
from spbe_monitor.ledger import db
from spbe_monitor.ledger.durable import first_line
from spbe_monitor.ledger.store import Store, as_dict
from spbe_monitor.manual import Desk
from spbe_monitor.monthly import figures_for_month, parse_month
from spbe_monitor.regulation.authority import admin_refusal
from spbe_monitor.regulation.classification import Basis, Nature, Scope, classify

out = Console(highlight=False)
ROW_ID = click.IntRange(1, 2_147_483_647)  # ledger ids: positive 32-bit integers
MAX_FAILED_LOGINS, LOCKOUT = 10, timedelta(minutes=15)  # password guessing is slowed down


class Context:
    """Loads config and opens the ledger only when a command needs them."""

    def __init__(self, config_path: Path | None) -> None:
        self.config_path = config_path
        self.clock = SystemClock()

    @cached_property
    def config(self) -> Config:
        config = load_config(self.config_path)
        for warning in config.warnings:
            click.echo(f"warning: {warning}", err=True)
        return config

    @cached_property
    def store(self) -> Store:
        engine = db.make_engine(self.config.database_url)
        db.upgrade(engine)
        return Store(engine)

    def acting(self, action: str) -> str:
        """The NIP of the person whose token is presented; refused (and audited) without."""
        from spbe_monitor.identity import acting_person

        return acting_person(self.config, self.store, self.clock.now(), action).nip

    @cached_property
    def desk(self) -> Desk:
        return Desk(self.config, self.store, self.clock)


pass_ctx = click.make_pass_decorator(Context)


def late_text(late: Late, rules: Maintenance) -> str:
    return {Late.NOTICE: f"registered with less than {format_duration(rules.min_notice)} notice",
            Late.TOO_LONG: f"longer than {format_duration(rules.max_duration)}",
            Late.DURING_OUTAGE: "registered while the service was down"}[late]


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    table = Table(title=title)
    for c in columns:
        table.add_column(c)
    for r in rows:
        table.add_row(*("" if v is None else str(v) for v in r))
    out.print(table)


@click.group()
@click.option("--config", "config_path", type=click.Path(path_type=Path), envvar="SPBE_CONFIG",
              default=None, help="spbe.yaml (default config/spbe.yaml, env SPBE_CONFIG)")
@click.version_option(package_name="spbe-monitor")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None) -> None:
    """spbe-monitor: SPBE service availability per Perbup Serang 49/2024."""
    ctx.obj = Context(config_path)


@cli.command("check-config")
@click.option("--offline", is_flag=True, help="Only the files: do not connect to the ledger.")
@pass_ctx
def check_config(ctx: Context, offline: bool) -> None:
    """Validate the configuration; print every error as file:line: field: message.

    Also connects to the ledger database (exit 1 when unreachable) unless --offline.
    """
    config = ctx.config
    click.echo(f"ok: {len(config.services)} services, {len(config.probes)} probes, "
               f"{len(config.people)} people ({config.path})")
    if offline:
        return
    url = make_url(config.database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        click.echo(f"ok: the ledger {url.database} does not exist yet; `spbe run` creates it")
        return
    engine = db.make_engine(config.database_url)
    try:
        revision = db.current_revision(engine)
    except SQLAlchemyError as exc:
        raise SpbeError(f"database unreachable: {first_line(exc)}") from None
    finally:
        engine.dispose()
    head = db.head_revision()
    state = "current" if revision == head else f"at {revision or 'nothing'}, " \
        f"`spbe db upgrade` brings it to {head}"
    click.echo(f"ok: ledger reachable ({engine.url.render_as_string(hide_password=True)}), "
               f"schema {state}")


@cli.command()
@pass_ctx
def run(ctx: Context) -> None:
    """Run the daemon (SIGTERM stops it gracefully)."""
    from spbe_monitor.app import App

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    app = App(ctx.config, ctx.store, ctx.clock, reload=lambda: load_config(ctx.config.path))
    try:
        asyncio.run(app.run())
    except OSError as exc:
        raise SpbeError(f"cannot serve on {ctx.config.settings.server.listen}:"
                        f"{ctx.config.settings.server.port}: {exc.strerror}") from exc


@cli.command("probe")
@click.argument("probe_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def probe_cmd(ctx: Context, probe_id: str, as_json: bool) -> None:
    """Run one probe once and show the result with its phase timings (exit 1 if it fails)."""
    from spbe_monitor.monitor.runner import run_once
    from spbe_monitor.probers.context import ProbeContext

    cfg = ctx.config.probes.get(probe_id)
    if cfg is None:
        raise BadInput(f"unknown probe {probe_id!r} (known: "
                       f"{', '.join(sorted(ctx.config.probes)) or 'none'})")
    result = asyncio.run(run_once(cfg, ProbeContext()))
    if as_json:
        _print_json({"probe": probe_id, "kind": cfg.kind, **dataclasses.asdict(result)})
    else:
        state = "ok" if result.ok else f"FAILED ({result.error_kind})"
        if result.ok and result.degraded:
            state = f"ok but degraded: {result.degraded}"
        click.echo(f"{probe_id} [{cfg.kind}]: {state} in {result.duration_s * 1000:.1f} ms"
                   f" — {result.message}")
        for phase, seconds in result.phases.items():
            click.echo(f"  {phase:<12} {seconds * 1000:9.2f} ms")
        for name, value in sorted(result.values.items()):
            click.echo(f"  {name} = {value:g}")
    if not result.ok:
        sys.exit(1)


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def status(ctx: Context, as_json: bool) -> None:
    """Current state of every service and component, from the running daemon."""
    import urllib.error
    import urllib.request

    server = ctx.config.settings.server
    url = f"http://{server.listen}:{server.port}/api/v1/status"
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            data = json.load(resp)
    except (urllib.error.URLError, OSError) as exc:
        raise SpbeError(f"no daemon answering at {url} ({exc}); start it with `spbe run`"
                        ) from None
    if as_json:
        _print_json(data)
        return
    _table("Services", ["Service", "Health", "Since", "Reasons"],
           [[sid, s["health"], s["since"], "; ".join(s["reasons"])]
            for sid, s in data["services"].items()])
    ledger = data.get("ledger") or {}
    if ledger.get("pending_writes"):
        click.echo(f"LEDGER: {ledger['pending_writes']} writes pending since "
                   f"{ledger['pending_since']} ({ledger['reason']}); they are kept in the "
                   "spool and replayed when the database accepts them", err=True)
    for sid, when in data.get("drp_last_drill", {}).items():
        click.echo(f"last DRP drill for {sid}: {when}")
    for live in data.get("drp_live_runs", []):
        click.echo(f"DRP run {live['run']} live ({live['phase']}) for {live['service']}: "
                   f"RTO elapsed {live['rto_elapsed_seconds']} s of {live['rto_target_seconds']}")
    _table("Components", ["Probe", "Kind", "Health", "Since", "Last check", "Message"],
           [[pid, c["kind"], c["health"], c["since"], c["last_check"], c["message"]]
            for pid, c in data["components"].items()])


@cli.group("db")
def db_group() -> None:
    """Ledger database maintenance."""


@db_group.command("upgrade")
@pass_ctx
def db_upgrade(ctx: Context) -> None:
    """Apply pending migrations (the daemon and every command also do this on start)."""
    engine = db.make_engine(ctx.config.database_url)
    applied = db.upgrade(engine)
    click.echo(f"schema at {db.head_revision()}" + (" (upgraded)" if applied else ""))


@cli.command()
@click.option("--month", required=True, help="YYYY-MM, in each service's own zone")
@click.option("--service", "service_id", help="one service id (default: all)")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def availability(ctx: Context, month: str, service_id: str | None, as_json: bool) -> None:
    """The regulation's monthly availability per service."""
    year, mon = parse_month(month)
    ids = [ctx.config.service(service_id).id] if service_id else list(ctx.config.services)
    results = figures_for_month(ctx.config, ctx.store, year, mon, ids, ctx.clock.now())
    if as_json:
        _print_json([r.as_json() for r in results])
        return
    rows = []
    for r in results:
        j = r.as_json()
        pct = "-" if j["availability_percent"] is None else f"{j['availability_percent']:.4f}"
        met = {True: "yes", False: "NO", None: "-"}[j["met"]]
        rows.append([r.service.name, r.service.klass.label, j["commitment_seconds"],
                     j["downtime_seconds"], j["excused_seconds"], j["unmonitored_seconds"],
                     pct, j["target_percent"], met])
    partial = " (month to date)" if any(r.partial for r in results) else ""
    _table(f"Availability {month}{partial}",
           ["Service", "Class", "Committed s", "Downtime s", "Excused s", "Unmonitored s",
            "Availability %", "Target %", "Met"], rows)


@cli.group()
def downtime() -> None:
    """The ledger's outages; manual entries with cause and author."""


@downtime.command("add")
@click.argument("service_id", metavar="SERVICE")
@click.option("--start", required=True, help="ISO 8601; without offset: the service's zone")
@click.option("--end", required=True)
@click.option("--cause", required=True)
@pass_ctx
def downtime_add(ctx: Context, service_id: str, start: str, end: str, cause: str,
                 ) -> None:
    """Record an outage no probe saw (users reported it); it counts like probed downtime."""
    oid = ctx.desk.add_downtime(service_id, start, end, cause, ctx.acting("downtime.add"))
    click.echo(f"outage {oid} recorded")


@downtime.command("list")
@click.option("--service", "service_id")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def downtime_list(ctx: Context, service_id: str | None, as_json: bool) -> None:
    ids = [ctx.config.service(service_id).id] if service_id else None
    rows = ctx.store.outages(ids)
    if as_json:
        _print_json([as_dict(o) for o in rows])
        return
    _table("Outages", ["ID", "Service", "Start (UTC)", "End (UTC)", "Priority", "Source",
                       "Cause", "Entered by"],
           [[o.id, o.service_id, o.start_at, o.end_at or "open", o.priority, o.source,
             o.cause, o.entered_by] for o in rows])


@downtime.command("annotate")
@click.argument("outage_id", type=ROW_ID, metavar="ID")
@click.option("--cause", required=True)
@pass_ctx
def downtime_annotate(ctx: Context, outage_id: int, cause: str) -> None:
    """Set an outage's cause (audited with the previous value)."""
    ctx.desk.annotate(outage_id, cause, ctx.acting("downtime.annotate"))
    click.echo(f"outage {outage_id} annotated")


@cli.group()
def maintenance() -> None:
    """Scheduled maintenance, one-off or recurring (RFC 5545 RRULE)."""


@maintenance.command("add")
@click.argument("service_ids", nargs=-1, required=True, metavar="SERVICE...")
@click.option("--start", required=True)
@click.option("--end", required=True)
@click.option("--rrule", help='e.g. "FREQ=WEEKLY;BYDAY=SU"')
@click.option("--reason", required=True)
@pass_ctx
def maintenance_add(ctx: Context, service_ids: tuple[str, ...], start: str, end: str,
                    rrule: str | None, reason: str) -> None:
    """Register a maintenance window in advance, so its downtime is excused."""
    wid, late = ctx.desk.add_maintenance(list(service_ids), start, end, rrule, reason,
                                         ctx.acting("maintenance.add"))
    click.echo(f"maintenance {wid} registered")
    if late:
        why = late_text(late, ctx.config.settings.maintenance)
        click.echo(f"warning: maintenance {wid} is late ({why}): it excuses nothing until a "
                   "Penyedia Layanan (eselon II or higher) approves it", err=True)


@maintenance.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def maintenance_list(ctx: Context, as_json: bool) -> None:
    rows = ctx.store.maintenance()
    if as_json:
        _print_json([{**as_dict(w), "registered_late": w.registered_late} for w in rows])
        return
    rules = ctx.config.settings.maintenance

    def state(w: Any) -> str:
        if w.cancelled_at:
            return "cancelled"
        why = late_text(Late(w.late_reason), rules) if w.late_reason else ""
        if w.registered_late and len(w.approvals) < len(w.services):
            return f"late ({why}), not approved"
        return f"late ({why}), approved" if w.registered_late else "scheduled"
    _table("Maintenance", ["ID", "Services", "Start (UTC)", "End (UTC)", "RRULE", "Reason",
                           "State"],
           [[w.id, ", ".join(w.services), w.start_at, w.end_at, w.rrule, w.reason, state(w)]
            for w in rows])


@maintenance.command("approve")
@click.argument("window_id", type=ROW_ID, metavar="ID")
@pass_ctx
def maintenance_approve(ctx: Context, window_id: int) -> None:
    """Approve a late-registered window (Penyedia Layanan of the service, eselon II+)."""
    services = ctx.desk.approve_maintenance(window_id, ctx.acting("maintenance.approve"))
    click.echo(f"maintenance {window_id} approved for {', '.join(services)}")


@maintenance.command("cancel")
@click.argument("window_id", type=ROW_ID, metavar="ID")
@pass_ctx
def maintenance_cancel(ctx: Context, window_id: int) -> None:
    ctx.desk.cancel_maintenance(window_id, ctx.acting("maintenance.cancel"))
    click.echo(f"maintenance {window_id} cancelled")


def _secret(prompt: str) -> str:
    """A hidden prompt on a terminal; a line of standard input otherwise (scripts)."""
    if sys.stdin.isatty():
        return str(click.prompt(prompt, hide_input=True, err=True))
    return sys.stdin.readline().rstrip("\n")


@cli.command()
@click.option("--nip", default=None,
              help="log in with your password instead of a token (see `spbe passwd`)")
@pass_ctx
def login(ctx: Context, nip: str | None) -> None:
    """Keep a personal token for this OS user (0600): the CLI then acts as you.

    Without --nip the token is read from standard input (hidden when typed; an
    administrator mints one with `spbe token issue NIP`). With --nip your password is
    asked and a new token is minted for you."""
    from spbe_monitor.api.tokens import new_token
    from spbe_monitor.identity import password_matches, person_of, store_token

    now = ctx.clock.now()
    if nip is not None:
        recent = ctx.store.refusals_since(nip[:64], "login", now - LOCKOUT)
        if recent >= MAX_FAILED_LOGINS:
            raise Refused(f"{recent} failed logins for {nip[:64]} in the last "
                          f"{LOCKOUT.seconds // 60} minutes: try again later or ask an "
                          "administrator for a token")
        person = ctx.config.people.get(nip)
        stored = ctx.store.password_hash(nip) if person else None
        if person is None or not password_matches(stored, _secret("password")):
            ctx.store.record_refusal(now, nip[:64], "login", "authentication",
                                     "wrong NIP or password")
            raise Refused("wrong NIP or password: nothing stored")
        value, hashed = new_token()
        ctx.store.add_token(person.nip, hashed, person.nip, now,
                            now + ctx.config.settings.token_lifetime)
    else:
        value = _secret("token").strip()
        found = person_of(value, ctx.config, ctx.store, now) if value else None
        if found is None:
            ctx.store.record_refusal(now, ctx.desk.actor(None), "login", "authentication",
                                     "unknown, expired or revoked token")
            raise Refused("unknown, expired or revoked token: nothing stored")
        person = found
    path = store_token(value)
    click.echo(f"logged in as {person.name} ({person.nip}); token kept in {path}")


@cli.command()
@pass_ctx
def passwd(ctx: Context) -> None:
    """Set your own password (asked twice), so you can `spbe login --nip` yourself."""
    from spbe_monitor.identity import hash_password

    nip = ctx.acting("password.set")
    first, second = _secret("new password"), _secret("again")
    if first != second:
        raise BadInput("the two passwords differ: nothing changed")
    ctx.store.set_password(nip, hash_password(first), ctx.clock.now())
    click.echo(f"password set for {nip}")


@cli.command()
def logout() -> None:
    """Forget the stored token."""
    from spbe_monitor.identity import token_file

    token_file().unlink(missing_ok=True)
    click.echo("logged out")


@cli.command()
@pass_ctx
def whoami(ctx: Context) -> None:
    """The person the CLI acts as (from SPBE_TOKEN or `spbe login`)."""
    person = ctx.config.person(ctx.acting("whoami"))
    click.echo(f"{person.name} ({person.nip}), {person.position}"
               + (f", eselon {person.eselon}" if person.eselon else ""))


@cli.group()
def token() -> None:
    """API bearer tokens, each tied to a person in people.yaml."""


def _admin(ctx: Context, action: str, subject: str) -> str:
    """The OS user, if spbe.yaml lists it under `admins:`; else a refusal, audited."""
    actor = ctx.desk.actor(None)
    why = admin_refusal(actor.removeprefix("os:"), ctx.config.settings.admins)
    if why:
        ctx.store.record_refusal(ctx.clock.now(), actor, action, subject, why)
        raise Refused(why)
    return actor


@token.command("issue")
@click.argument("nip")
@click.option("--days", type=click.IntRange(1, 3650), default=None,
              help="lifetime in days (default: token_lifetime in spbe.yaml, 90 days)")
@pass_ctx
def token_issue(ctx: Context, nip: str, days: int | None) -> None:
    """Print a new token for NIP, once; only its SHA-256 is kept (administrators only)."""
    from spbe_monitor.api.tokens import new_token

    actor = _admin(ctx, "token.issue", f"person:{nip[:64]}")
    person = ctx.config.person(nip)
    value, hashed = new_token()
    now = ctx.clock.now()
    expires = now + (timedelta(days=days) if days else ctx.config.settings.token_lifetime)
    ctx.store.add_token(person.nip, hashed, actor, now, expires)
    click.echo(value)
    click.echo(f"token for {person.name} ({person.nip}), valid until "
               f"{expires:%Y-%m-%d %H:%M} UTC; it is shown only now", err=True)


@token.command("revoke")
@click.argument("nip")
@pass_ctx
def token_revoke(ctx: Context, nip: str) -> None:
    """Revoke every token of NIP (administrators only)."""
    actor = _admin(ctx, "token.revoke", f"person:{nip[:64]}")
    person = ctx.config.person(nip)
    count = ctx.store.revoke_tokens(person.nip, actor, ctx.clock.now())
    click.echo(f"{count} token(s) of {person.nip} revoked")


@token.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def token_list(ctx: Context, as_json: bool) -> None:
    """Every token: whose, hash prefix, created, expires, last used, revoked (never the
    token itself)."""
    rows = ctx.store.tokens()
    if as_json:
        _print_json([as_dict(t) for t in rows])
        return
    _table("Tokens", ["ID", "NIP", "SHA-256", "Created", "Expires", "Last used", "Revoked"],
           [[t.id, t.nip, t.sha256_prefix, t.created_at, t.expires_at, t.last_used_at,
             t.revoked_at] for t in rows])


@cli.group()
def report() -> None:
    """The regulation's forms as HTML, PDF and JSON (Bahasa Indonesia)."""


def _formats(value: str) -> tuple[str, ...]:
    from spbe_monitor.reports.render import FORMATS

    chosen = tuple(dict.fromkeys(f.strip() for f in value.split(",") if f.strip()))
    bad = [f for f in chosen if f not in FORMATS]
    if bad or not chosen:
        raise BadInput(f"--format takes a comma-separated list of {', '.join(FORMATS)}")
    return chosen


@report.command("formulir-f")
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--service", "service_id", help="one service id (default: all)")
@click.option("--format", "formats", default="html,pdf,json", show_default=True)
@click.option("--out", "out_dir", type=click.Path(path_type=Path),
              help="folder (default: reports.folder in spbe.yaml)")
@click.option("--partial", is_flag=True, help="allow a month that is not over yet")
@pass_ctx
def report_formulir_f(ctx: Context, month: str, service_id: str | None, formats: str,
                      out_dir: Path | None, partial: bool) -> None:
    """Formulir F — Laporan Ketersediaan Layanan, per service."""
    from rich.progress import Progress

    from spbe_monitor.reports.jobs import formulir_f_reports

    year, mon = parse_month(month)
    chosen = _formats(formats)
    ids = [ctx.config.service(service_id).id] if service_id else list(ctx.config.services)
    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("Formulir F", total=len(ids))
        filed = formulir_f_reports(
            ctx.config, ctx.store, year, mon, ids, chosen, out_dir or ctx.config.reports_dir,
            ctx.clock.now(), partial, progress=lambda _sid: bar.advance(task))
    for files in filed.values():
        for w in files:
            click.echo(f"{w.path}  sha256:{w.sha256}" + ("  (unchanged)" if w.skipped else ""))


@report.command("formulir-c")
@click.option("--format", "formats", default="html,pdf,json", show_default=True)
@click.option("--out", "out_dir", type=click.Path(path_type=Path))
@pass_ctx
def report_formulir_c(ctx: Context, formats: str, out_dir: Path | None) -> None:
    """Formulir C — Rencana Keberlangsungan Layanan, from services.yaml."""
    from spbe_monitor.reports import formulir_c
    from spbe_monitor.reports.render import file_report

    now = ctx.clock.now()
    for w in file_report(ctx.store, "formulir-c", "semua", f"{now:%Y-%m}",
                         formulir_c.build(ctx.config), "formulir_c.html.j2", _formats(formats),
                         out_dir or ctx.config.reports_dir, now, partial=False,
                         audit_key=ctx.config.audit_key_path):
        click.echo(f"{w.path}  sha256:{w.sha256}")


@report.command("evaluasi")
@click.option("--semester", required=True, help="YYYY-1 (Jan–Jun) or YYYY-2 (Jul–Dec)")
@click.option("--format", "formats", default="html,pdf,json", show_default=True)
@click.option("--out", "out_dir", type=click.Path(path_type=Path))
@pass_ctx
def report_evaluasi(ctx: Context, semester: str, formats: str, out_dir: Path | None) -> None:
    """Formulir I chapters C and D for a semester (months not started are left out)."""
    from spbe_monitor.reports import evaluasi
    from spbe_monitor.reports.render import file_report

    try:
        year_text, half_text = semester.split("-")
        year, half = int(year_text), int(half_text)
        if half not in (1, 2) or len(year_text) != 4 or not 1970 <= year <= 9998:
            raise ValueError
    except ValueError:
        raise BadInput(f"malformed semester {semester!r}: expected YYYY-1 or YYYY-2") from None
    now = ctx.clock.now()
    ids = list(ctx.config.services)
    months: dict[str, list[Any]] = {sid: [] for sid in ids}
    for y, m in evaluasi.semester_months(year, half):
        try:
            for fig in figures_for_month(ctx.config, ctx.store, y, m, ids, now):
                months[fig.service.id].append(fig)
        except BadInput:  # not started yet
            continue
    if not any(months.values()):
        raise BadInput(f"semester {semester} has not started yet")
    ops = _drp(ctx)
    statuses = []
    for r in ops.journal.runs():
        try:
            statuses.append(ops.status(r["id"]))
        except SpbeError:  # a run whose playbook is gone: left out of chapter D, said here
            click.echo(f"warning: DRP run {r['id']} left out: its playbook cannot be read",
                       err=True)
    lo, hi = (f"{year}-01", f"{year}-07") if half == 1 else (f"{year}-07", f"{year + 1}-01")
    names = {sid: s.name for sid, s in ctx.config.services.items()}
    data = evaluasi.build(year, half, months, evaluasi.drp_rows(statuses, names, lo, hi))
    for w in file_report(ctx.store, "evaluasi", "semua", semester, data, "evaluasi.html.j2",
                         _formats(formats), out_dir or ctx.config.reports_dir, now,
                         partial=False, audit_key=ctx.config.audit_key_path):
        click.echo(f"{w.path}  sha256:{w.sha256}")


@cli.group()
def audit() -> None:
    """The audit log of manual changes, refusals and approvals (hash-chained)."""


@audit.command("verify")
@pass_ctx
@click.option("--public-key", "public_keys", multiple=True,
              type=click.Path(path_type=Path, dir_okay=False),
              help="a trusted public key (repeatable; default: every *.pub beside audit_key)")
def audit_verify(ctx: Context, public_keys: tuple[Path, ...]) -> None:
    """Check the chain, its signed checkpoints and every evidence row; each problem is
    named (exit 1)."""
    from spbe_monitor.ledger.checkpoints import load_public, trusted_keys

    count, problem = ctx.store.verify_audit()
    files = list(public_keys) or trusted_keys(ctx.config.audit_key_path)
    keys = [load_public(f) for f in files]
    problems = ([problem] if problem else []) + ctx.store.verify_evidence(keys)
    if problems:
        for p in problems:
            click.echo(f"  {p}", err=True)
        raise SpbeError(f"audit log NOT intact ({len(problems)} problem(s) above; "
                        f"{count} entries read)")
    signed = f"checkpoints verified with {len(keys)} key(s)" if keys else \
        "no signing key yet: checkpoints not checked"
    click.echo(f"audit log intact: {count} entries, evidence rows match their seals, {signed}")


@audit.command("export")
@click.option("--since", default=None, help="from this time on (ISO 8601; zone of spbe.yaml)")
@click.option("--out", "out_file", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="a new file to write (never overwritten; default: stdout)")
@pass_ctx
def audit_export(ctx: Context, since: str | None, out_file: Path | None) -> None:
    """The entries and signed checkpoints as JSON Lines, for an archive outside the ledger."""
    from spbe_monitor.timeparse import parse_time

    start = parse_time(since, ctx.config.settings.timezone, "--since") if since else None
    if out_file is not None and out_file.exists():
        raise BadInput(f"--out {out_file} exists: an export never overwrites a file")
    lines = ctx.store.export_audit(start)
    if out_file is None:
        for line in lines:
            click.echo(line)
        return
    out_file.write_text("".join(f"{line}\n" for line in lines))
    click.echo(f"{len(lines)} lines written to {out_file}")


@audit.command("checkpoint")
@pass_ctx
def audit_checkpoint(ctx: Context) -> None:
    """Sign the chain's head now (the daemon does it hourly and at every report filing)."""
    from spbe_monitor.ledger.checkpoints import Signer

    signer = Signer.load_or_create(ctx.config.audit_key_path)
    entry = signer.checkpoint(ctx.store.engine, ctx.clock.now())
    click.echo("nothing to sign: the audit log is empty" if entry is None
               else f"checkpoint signed at entry {entry}")


@cli.group()
def drp() -> None:
    """Disaster recovery: playbooks, gated runs timed against RTO/RPO, Formulir G."""


def _drp(ctx: Context) -> Any:
    from spbe_monitor.drp.operations import Drp

    return Drp(ctx.config, ctx.store, ctx.clock)


def _follow(ctx: Context, run_id: int) -> None:
    """Run in the foreground until done, failed or aborted (exit 1 unless done)."""
    from spbe_monitor.drp.runner import Runner

    ops = _drp(ctx)
    runner = Runner(ctx.config, ops.journal, ops.playbook_of(run_id, acting=True), run_id,
                    ctx.clock, click.echo)
    state = asyncio.run(runner.run())
    click.echo(f"run {run_id}: {state}")
    if state != "done":
        sys.exit(1)


@drp.command("plan")
@click.argument("playbook")
@click.option("--mode", type=click.Choice(["drill", "disaster"]), default="drill")
@pass_ctx
def drp_plan(ctx: Context, playbook: str, mode: str) -> None:
    """Dry run: the order, parallel groups, gates, and what this mode skips."""
    from spbe_monitor.drp.playbook import groups, skipped_in

    book = _drp(ctx).playbook(playbook)
    approval = _drp(ctx).journal.document_approval(book)
    click.echo(f"playbook {book.id} version {book.head.version} sha256 {book.sha256}")
    click.echo("document: " + (f"approved by {approval['nip']} at {approval['approved_at']}"
                               if approval else "NOT approved (a drill is allowed, a disaster "
                               "run is refused)"))
    click.echo("declaration (Tabel 4.4, in order):")
    for g in book.gates:
        extra = f"; checklist: {', '.join(g.gate.checklist)}" if g.gate.checklist else ""
        who = "Penyedia Layanan, " if g.step.id == "declare" else ""
        click.echo(f"  {g.step.id}: {who}eselon {g.min_eselon} or higher{extra}")
    for phase in ("recovery", "normalisation"):
        click.echo(f"{phase}:")
        for i, group in enumerate(groups(book, phase), start=1):
            names = [s.id + (" [skipped in a " + mode + "]" if skipped_in(mode, s) else "")
                     + f" ({s.kind})" for s in group]
            click.echo(f"  {i}. " + " ‖ ".join(names))


@drp.command("approve-document")
@click.argument("playbook")
@pass_ctx
def drp_approve_document(ctx: Context, playbook: str) -> None:
    """Approve the playbook's exact contents (bound to its SHA-256)."""
    book = _drp(ctx).approve_document(playbook, ctx.acting("drp.document.approve"))
    click.echo(f"playbook {book.id} approved (sha256 {book.sha256})")


@drp.command("start")
@click.argument("playbook")
@click.option("--mode", type=click.Choice(["drill", "disaster"]), required=True)
@click.option("--disaster-at", help="when the disaster struck (ISO 8601; default now)")
@click.option("--detach", is_flag=True, help="create the run and return (resume later)")
@pass_ctx
def drp_start(ctx: Context, playbook: str, mode: str, disaster_at: str | None,
              detach: bool) -> None:
    """Start a run and follow it in the foreground, waiting at gates."""
    run_id = _drp(ctx).start(playbook, mode, ctx.acting("drp.start"), disaster_at)
    click.echo(f"run {run_id} started ({mode})")
    if not detach:
        _follow(ctx, run_id)


@drp.command("resume")
@click.argument("run_id", type=ROW_ID, metavar="RUN")
@pass_ctx
def drp_resume(ctx: Context, run_id: int) -> None:
    """Carry on after the runner stopped; completed steps are never run again."""
    _drp(ctx).journal.require_running(run_id)
    _follow(ctx, run_id)


@drp.command("approve")
@click.argument("run_id", type=ROW_ID, metavar="RUN")
@click.argument("step_id", metavar="STEP")
@click.option("--note")
@click.option("--category", type=click.Choice(["infrastruktur", "kerusakan_fisik",
                                               "pihak_ketiga", "akses",
                                               "jaringan_intra_pemerintahan", "splp"]),
              help="analyse: the scenario's Tabel 4.3 category")
@click.option("--recovery-days", type=float, default=0.0)
@click.option("--downtime-hours", type=float, default=0.0)
@click.option("--data-lost", is_flag=True)
@pass_ctx
def drp_approve(ctx: Context, run_id: int, step_id: str, note: str | None,
                category: str | None, recovery_days: float, downtime_hours: float,
                data_lost: bool) -> None:
    """Sign a gate or approval step, or confirm a manual step (exit 3 when refused)."""
    scenario = None if category is None else {
        "category": category, "recovery_days": recovery_days,
        "downtime_hours": downtime_hours, "data_lost": data_lost}
    nip = ctx.acting("drp.approve")
    _drp(ctx).approve(run_id, step_id, nip, note, scenario)
    click.echo(f"run {run_id}: {step_id} signed by {nip}")


@drp.command("step")
@click.argument("run_id", type=ROW_ID, metavar="RUN")
@click.argument("step_id", metavar="STEP")
@click.argument("decision", type=click.Choice(["retry", "skip", "mark-done"]))
@click.option("--reason", required=True)
@pass_ctx
def drp_step(ctx: Context, run_id: int, step_id: str, decision: str, reason: str,
             ) -> None:
    """Decide on an in-doubt or failed step after verifying it."""
    _drp(ctx).decide(run_id, step_id, decision, reason, ctx.acting("drp.step"))
    click.echo(f"run {run_id}: {step_id} {decision}")


@drp.command("abort")
@click.argument("run_id", type=ROW_ID, metavar="RUN")
@click.option("--reason", required=True)
@pass_ctx
def drp_abort(ctx: Context, run_id: int, reason: str) -> None:
    """Stop a run for good, with the reason (a Koordinator Pemulihan, eselon III+)."""
    _drp(ctx).abort(run_id, reason, ctx.acting("drp.aborted"))
    click.echo(f"run {run_id} aborted")


@drp.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def drp_list(ctx: Context, as_json: bool) -> None:
    runs = _drp(ctx).journal.runs()
    if as_json:
        _print_json(runs)
        return
    _table("DRP runs", ["Run", "Playbook", "Mode", "State", "Started", "Declared", "By"],
           [[r["id"], r["playbook_id"], r["mode"], r["state"], r["started_at"],
             r["declared_at"], r["started_by"]] for r in runs])


@drp.command("report")
@click.argument("run_id", type=ROW_ID, metavar="RUN")
@click.option("--format", "formats", default="html,pdf,json", show_default=True)
@click.option("--out", "out_dir", type=click.Path(path_type=Path))
@pass_ctx
def drp_report(ctx: Context, run_id: int, formats: str, out_dir: Path | None) -> None:
    """Formulir G — Laporan Evaluasi DRP for a run."""
    from spbe_monitor.reports.render import file_report

    data = _drp(ctx).formulir_g(run_id)
    now = ctx.clock.now()
    for w in file_report(ctx.store, "formulir-g", data["pelaksanaan"]["playbook"],
                         f"run-{run_id}", data, "formulir_g.html.j2", _formats(formats),
                         out_dir or ctx.config.reports_dir, now,
                         partial=data["pelaksanaan"]["status"] == "running",
                         audit_key=ctx.config.audit_key_path):
        click.echo(f"{w.path}  sha256:{w.sha256}")


@drp.command("status")
@click.argument("run_id", type=ROW_ID, metavar="RUN")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def drp_status(ctx: Context, run_id: int, as_json: bool) -> None:
    data = _drp(ctx).status(run_id)
    if as_json:
        _print_json(data)
        return
    click.echo(f"run {run_id} {data['playbook']} ({data['mode']}): {data['state']}, "
               f"declared {data['declared_at'] or '-'}")
    _table("Steps", ["Step", "Phase", "Kind", "State", "Started", "Finished", "By", "Note"],
           [[s["id"], s["phase"], s["kind"], s["state"], s["started_at"] or s["waiting_since"],
             s["finished_at"], s["actor"], s["note"]] for s in data["steps"]])
    _table("RTO / RPO", ["Service", "RTO target s", "RTO achieved s", "Met", "RPO target s",
                         "RPO achieved s", "Met"],
           [[v["service"], v["rto_target_seconds"], v["rto_achieved_seconds"], v["rto_met"],
             v["rpo_target_seconds"], v["rpo_achieved_seconds"], v["rpo_met"]]
            for v in data["services"]])


@drp.command("assess")
@click.option("--category", required=True,
              type=click.Choice(["infrastruktur", "kerusakan_fisik", "pihak_ketiga", "akses",
                                 "jaringan_intra_pemerintahan", "splp"]))
@click.option("--recovery-days", type=float, default=0.0, help="expected recovery, days")
@click.option("--downtime-hours", type=float, default=0.0, help="downtime so far, hours")
@click.option("--data-lost", is_flag=True)
@click.option("--json", "as_json", is_flag=True)
def drp_assess(category: str, recovery_days: float, downtime_hours: float, data_lost: bool,
               as_json: bool) -> None:
    """Tabel 4.3: Pemulihan Layanan (DRP) or Penanganan Gangguan, citing the row."""
    from spbe_monitor.regulation.disaster import Category, assess

    if recovery_days < 0 or downtime_hours < 0:
        raise BadInput("durations must not be negative")
    verdict = assess(Category(category), recovery_days, downtime_hours, data_lost)
    if as_json:
        _print_json({"response": verdict.response.value, "row": verdict.row,
                     "reason": verdict.reason})
        return
    row = f"Tabel 4.3 baris {verdict.row}" if verdict.row else "tidak ada baris Tabel 4.3"
    click.echo(f"{verdict.response.value} ({row}: {verdict.reason})")


@cli.command("classify")
@click.option("--nature", required=True, type=click.Choice([n.value for n in Nature]))
@click.option("--basis", required=True, type=click.Choice([b.value for b in Basis]))
@click.option("--scope", required=True, type=click.Choice([s.value for s in Scope]))
def classify_cmd(nature: str, basis: str, scope: str) -> None:
    """Tabel 4.1: the classification of a service (exit 1 when the table has no row)."""
    result = classify(Nature(nature), Basis(basis), Scope(scope))
    if result is None:
        click.echo("Tabel 4.1 has no row for this combination: set the classification "
                   "explicitly in services.yaml")
        sys.exit(1)
    click.echo(result.label)


def main() -> NoReturn:
    try:
        cli.main(standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except ConfigError as exc:
        for line in exc.errors:
            click.echo(line, err=True)
        sys.exit(exc.exit_code)
    except SpbeError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(1)
    except SQLAlchemyError as exc:
        click.echo(f"error: the ledger database: {first_line(exc)}", err=True)
        sys.exit(1)
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        click.echo(f"error: {exc.strerror or exc}{where}", err=True)
        sys.exit(1)
    except Exception as exc:  # no traceback reaches a user; SPBE_DEBUG=1 shows it
        if os.environ.get("SPBE_DEBUG"):
            raise
        click.echo(f"error: internal error ({type(exc).__name__}: {first_line(exc)}); "
                   "rerun with SPBE_DEBUG=1 for details and report it", err=True)
        sys.exit(1)
    sys.exit(0)

"""Commands about the daemon and its figures: check-config, run, probe, status, db,
availability, classify."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sys
from pathlib import Path
from typing import Any

import click

from spbe_monitor.cli.base import Context, at_terminal, cli, pass_ctx, print_json, print_table
from spbe_monitor.credentials import os_user
from spbe_monitor.errors import BadInput, ConfigError, NotFound, SpbeError, first_line
from spbe_monitor.localtime import local_time, log_in_zone, zone_label
from spbe_monitor.regulation.classification import Basis, Nature, Scope, classify


@cli.command("check-config")
@click.option("--offline", is_flag=True, help="Only the files: do not connect to the ledger "
              "nor look for the keys, CA files and variables the probes need on this host.")
@click.option("--json", "as_json", is_flag=True, help="the findings as JSON (errors: stderr)")
@pass_ctx
def check_config(ctx: Context, offline: bool, as_json: bool) -> None:
    """Validate the configuration and every service's DRP playbook; print every error as
    file:line: field: message.

    Unless --offline, also looks for every file, environment variable and local path the
    probes observed from here need, and connects to the ledger (exit 1 when unreachable).
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from spbe_monitor.config.on_host import checked, unmet
    from spbe_monitor.drp.playbook import find_playbook, load_playbook
    from spbe_monitor.ledger import db

    config = ctx.config
    errors: list[str] = []
    books = sorted({s.drp_playbook for s in config.services.values() if s.drp_playbook})
    for name in books:
        try:
            load_playbook(find_playbook(config, name), config)
        except ConfigError as exc:
            errors += exc.errors
        except NotFound:
            continue  # not at this site (the loader warned): `drp start --approved`
        except BadInput as exc:  # not a playbook id
            errors.append(f"{config.playbooks_dir}: {exc}")
    unwatched = [f"service {sid} has no component to watch: it can only ever be \"Belum "
                 "dipantau\"; list its probes under components"
                 for sid, svc in config.services.items() if not svc.components]
    for line in unwatched:
        click.echo(f"warning: {line}", err=True)
    errors += config.unanswered
    if not offline:  # on the machine that runs the daemon: what the probes need is here
        errors += unmet(config)
    if errors:
        raise ConfigError(errors)
    found: dict[str, object] = {"config": str(config.path), "services": len(config.services),
                                "probes": len(config.probes), "people": len(config.people),
                                "playbooks": len(books),
                                "warnings": [*config.warnings, *unwatched]}
    said = [f"ok: {len(config.services)} services, {len(config.probes)} probes, "
            f"{len(config.people)} people, {len(books)} DRP playbooks ({config.path})"]
    url = make_url(config.database_url)
    found["on_host"] = {"checked": not offline, "needs": checked(config)}
    if not offline:
        said.append(f"ok: what the probes need on this host is there ({checked(config)})")
    if offline:
        said.append(f"skipped (--offline): the ledger, and what the probes need on this "
                    f"host ({checked(config)}); run without --offline where the daemon runs")
    elif url.get_backend_name() == "sqlite" and url.database and \
            not Path(url.database).exists():
        found["ledger"] = {"reachable": None, "schema": None}
        said.append(f"ok: the ledger {url.database} does not exist yet; `spbe run` creates it")
    else:
        engine = db.make_engine(config.database_url)
        try:
            revision = db.current_revision(engine)
        except SQLAlchemyError as exc:
            raise SpbeError(f"database unreachable: {first_line(exc)}") from None
        finally:
            engine.dispose()
        head = db.head_revision()
        found["ledger"] = {"reachable": True, "schema": revision, "current": revision == head}
        state = "current" if revision == head else f"at {revision or 'nothing'}, " \
            f"`spbe db upgrade` brings it to {head}"
        said.append(f"ok: ledger reachable ({url.render_as_string(hide_password=True)}), "
                    f"schema {state}")
    if as_json:
        print_json(found)
    else:
        for line in said:
            click.echo(line)


@cli.command()
@pass_ctx
def run(ctx: Context) -> None:
    """Run the daemon (SIGTERM stops it gracefully)."""
    from spbe_monitor.ledger.lock import Holder, LedgerLock

    # one daemon per ledger: a second one is refused before the daemon's code even loads
    lock = LedgerLock(ctx.store.engine, Holder.me(),
                      shared=ctx.config.settings.cluster.enabled,
                      zone=ctx.config.settings.timezone)
    lock.acquire()
    from spbe_monitor.app import App
    from spbe_monitor.config.loader import load_config

    log_in_zone(ctx.config.settings.timezone)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    for finding in ctx.config.unanswered:  # check-config refuses it; watching still helps
        click.echo(f"warning: {finding}", err=True)
    app = App(ctx.config, ctx.store, ctx.clock, reload=lambda: load_config(ctx.config.path),
              held=lock)
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
        print_json({"probe": probe_id, "kind": cfg.kind, **dataclasses.asdict(result)})
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
    from spbe_monitor.cli.remote import daemon_json

    got = daemon_json(ctx.config_path, "/api/v1/status", {})
    if got is None:
        server = ctx.config.settings.server  # a config that does not load says why here
        _last_known(ctx, as_json)
        raise SpbeError(f"no daemon answering at {server.listen}:{server.port} on this "
                        "config's ledger; start it with `spbe run` (above: the ledger's "
                        "last known state)")
    data, found = got
    if as_json:
        print_json(data)
        return
    zone = found.timezone
    label = zone_label(zone)
    print_table("Services", ["Service", "Health", f"Since ({label})", "Reasons"],
                [[sid, s["health"], local_time(s["since"], zone), "; ".join(s["reasons"])]
                 for sid, s in data["services"].items()])
    ledger = data.get("ledger") or {}
    if ledger.get("pending_writes"):
        since = local_time(ledger["pending_since"], zone)
        click.echo(f"LEDGER: {ledger['pending_writes']} writes pending since {since} {label} "
                   f"({ledger['reason']}); they are kept in the spool and replayed when the "
                   "database accepts them", err=True)
    for sid, drill in data.get("drp_last_drill", {}).items():
        click.echo(f"last DRP drill for {sid}: {local_time(drill, zone)} {label}")
    for live in data.get("drp_live_runs", []):
        click.echo(f"DRP run {live['run']} live ({live['phase']}) for {live['service']}: "
                   f"RTO elapsed {live['rto_elapsed_seconds']} s of {live['rto_target_seconds']}")
    print_table("Components", ["Probe", "Kind", "Health", f"Last check ({label})",
                               "Message"],
                [[pid, c["kind"], c["health"], local_time(c["last_check"], zone), c["message"]]
                 for pid, c in data["components"].items()])


def _last_known(ctx: Context, as_json: bool) -> None:
    """`spbe status` with the daemon down: what the ledger last knew, and since when."""
    from spbe_monitor import readings

    try:
        known = readings.last_known(ctx.config, ctx.store)
    except SpbeError:
        return  # the ledger cannot be read either: the error below says enough
    if as_json:
        print_json(known)
        return
    zone = ctx.config.settings.timezone
    label = zone_label(zone)
    seen = local_time(known["last_observed"], zone) if known["last_observed"] else "never"
    click.echo(f"NO DAEMON: the ledger's last known state (last observation {seen} {label})")
    rows = []
    for sid, s in known["services"].items():
        o = s["open_outage"]
        rows.append([sid, s["health"], local_time(s["since"], zone) if s["since"] else "-",
                     f"{o['id']} ({o['priority']}) since {local_time(o['start_at'], zone)}"
                     if o else "-"])
    print_table("Services (as last judged)", ["Service", "Health", f"Since ({label})",
                                              "Open outage"], rows)


@cli.group("db")
def db_group() -> None:
    """Ledger database maintenance."""


@db_group.command("upgrade")
@pass_ctx
def db_upgrade(ctx: Context) -> None:
    """Apply pending migrations (the daemon and every command also do this on start)."""
    from spbe_monitor.ledger import db

    engine = db.make_engine(ctx.config.database_url)
    applied = db.upgrade(engine)
    click.echo(f"schema at {db.head_revision()}" + (" (upgraded)" if applied else ""))


def _trusted_keys(ctx: Context) -> list[Any]:
    from spbe_monitor.ledger.checkpoints import load_public, trusted_keys

    return [load_public(f) for f in trusted_keys(ctx.config.audit_key_path)]


@db_group.command("backup")
@click.option("--to", "folder", type=click.Path(path_type=Path, file_okay=False),
              help="folder (default: backup.folder in spbe.yaml)")
@click.option("--keep", type=click.IntRange(1, 3650), default=None,
              help="copies kept (default: backup.keep)")
@pass_ctx
def db_backup(ctx: Context, folder: Path | None, keep: int | None) -> None:
    """A verified copy of the SQLite ledger, taken while the daemon writes (the daemon
    makes one nightly at backup.at)."""
    from spbe_monitor.ledger import backup

    done = backup.take(ctx.config.database_url, folder or ctx.config.backup_dir,
                       ctx.clock.now(), _trusted_keys(ctx),
                       keep or ctx.config.settings.backup.keep)
    click.echo(f"{done.path} ({done.size / 2**20:,.1f} MB, {done.entries} audit entries, "
               f"verified); {len(done.removed)} older cop(ies) removed")


@db_group.command("restore")
@click.argument("copy", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@pass_ctx
def db_restore(ctx: Context, copy: Path) -> None:
    """Put a backup where this config's ledger goes (a new machine, a lost disk); it is
    verified first and never written over an existing ledger."""
    from spbe_monitor.ledger import backup

    entries = backup.restore(copy, ctx.config.database_url, _trusted_keys(ctx))
    click.echo(f"ledger restored from {copy.name}: {entries} audit entries verified")


@db_group.command("stats")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def db_stats(ctx: Context, as_json: bool) -> None:
    """Rows and bytes per ledger table (indexes included), largest first."""
    from spbe_monitor import retention
    from spbe_monitor.ledger.sizes import table_sizes

    sizes = table_sizes(ctx.store.engine)
    plan = retention.plan(ctx.config, ctx.store, ctx.clock.now()).as_json()
    if as_json:
        print_json({"tables": [s.as_json() for s in sizes], "next_retention": plan})
        return
    estimated = any(s.estimated for s in sizes)
    print_table("Ledger tables" + (" (rows: PostgreSQL's estimate)" if estimated else ""),
                ["Table", "Rows", "Size"],
                [[s.table, f"{s.rows:,}", "-" if s.bytes is None else megabytes(s.bytes)]
                 for s in sizes])
    if at_terminal():  # piped, the lines stay one table row each
        click.echo(f"total {megabytes(sum(s.bytes or 0 for s in sizes))} in {len(sizes)} "
                   "tables")
        click.echo(describe_plan(plan))


@db_group.command("retain")
@click.option("--dry-run", is_flag=True, help="say what it would do, do nothing")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def db_retain(ctx: Context, dry_run: bool, as_json: bool) -> None:
    """Retention now (the daemon runs it nightly): hourly utilisation and superseded
    transitions older than `retention.hourly` rolled up; evidence is kept."""

    from spbe_monitor import retention

    now = ctx.clock.now()
    if dry_run:
        plan = retention.plan(ctx.config, ctx.store, now)
        if as_json:
            print_json(plan.as_json())
        else:
            click.echo(describe_plan(plan.as_json()))
        return
    done = retention.run(ctx.config, ctx.store, now, actor=f"os:{os_user()}")
    if as_json:
        print_json([d.as_json() for d in done])
        return
    if not done:
        click.echo("nothing to do: no hourly rows or superseded transitions past the horizon")
    for d in done:
        click.echo(f"{d.month}: {d.hourly_rows:,} hourly rows into {d.daily_rows:,} daily, "
                   f"{d.transitions:,} transitions removed")


def describe_plan(plan: dict[str, Any]) -> str:
    if not plan["months"]:
        return "next retention run: nothing to do"
    return (f"next retention run: {plan['hourly_rows']:,} hourly rows rolled up into daily "
            f"ones, {plan['transitions_removed']:,} transitions removed, months "
            f"{', '.join(plan['months'])} (UTC)")


def megabytes(size: int) -> str:
    return f"{size / 1_048_576:,.1f} MiB" if size >= 104_858 else f"{size / 1024:,.0f} KiB"


@cli.command()
@click.option("--month", help="YYYY-MM, in each service's own zone (default: this month)")
@click.option("--service", "service_id", help="one service id (default: all)")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def availability(ctx: Context, month: str | None, service_id: str | None,
                 as_json: bool) -> None:
    """The regulation's monthly availability per service."""
    from spbe_monitor import readings

    results, _ = ctx.read("/api/v1/availability", {"month": month, "service": service_id},
                          lambda: readings.availability(ctx.config, ctx.store, ctx.clock,
                                                        month, service_id))
    if as_json:
        print_json(results)
        return
    rows = []
    for j in results:
        pct = "-" if j["availability_percent"] is None else f"{j['availability_percent']:.4f}"
        met = {"tercapai": "met", "tidak_tercapai": "MISSED", "tanpa_target": "no target",
               "belum_dipantau": "not monitored", "tidak_dapat_dinilai": "too little observed"
               }[j["verdict"]]
        cover = "-" if j["coverage_percent"] is None else f"{j['coverage_percent']:.1f}"
        target = "-" if j["target_percent"] is None else f"{j['target_percent']:g}"
        rows.append([j["service"], pct, target, cover, j["commitment_seconds"],
                     j["downtime_seconds"], met])
    partial = " (month to date)" if any(j["partial"] for j in results) else ""
    print_table(f"Availability {month}{partial} (excused, unmonitored: --json)",
                ["Service", "Avail. %", "Target", "Obs. %", "Commit s", "Down s", "Verdict"],
                rows)


@cli.command("classify")
@click.option("--nature", required=True, type=click.Choice([n.value for n in Nature]))
@click.option("--basis", required=True, type=click.Choice([b.value for b in Basis]))
@click.option("--scope", required=True, type=click.Choice([s.value for s in Scope]))
@click.option("--json", "as_json", is_flag=True)
def classify_cmd(nature: str, basis: str, scope: str, as_json: bool) -> None:
    """Tabel 4.1: the classification of a service (exit 1 when the table has no row)."""
    result = classify(Nature(nature), Basis(basis), Scope(scope))
    if as_json:
        print_json({"nature": nature, "basis": basis, "scope": scope,
                    "classification": result.value if result else None,
                    "label": result.label if result else None})
    if result is None:
        if not as_json:
            click.echo("Tabel 4.1 has no row for this combination: set the classification "
                       "explicitly in services.yaml")
        sys.exit(1)
    if not as_json:
        click.echo(result.label)

"""The regulation's forms and the audit log: report, audit."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from spbe_monitor.cli.base import Context, cli, pass_ctx, report_formats
from spbe_monitor.errors import BadInput, SpbeError


@cli.group()
def report() -> None:
    """The regulation's forms as HTML, PDF and JSON (Bahasa Indonesia)."""


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
    from rich.console import Console
    from rich.progress import Progress

    from spbe_monitor.monthly import parse_month
    from spbe_monitor.reports.jobs import formulir_f_reports

    year, mon = parse_month(month)
    chosen = report_formats(formats)
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
    from spbe_monitor.reports.kop import stamped
    from spbe_monitor.reports.render import file_report

    now = ctx.clock.now()
    period = f"{now:%Y-%m}"
    data = stamped(ctx.config, formulir_c.build(ctx.config), "C", "semua", period)
    for w in file_report(ctx.store, "formulir-c", "semua", period, data, "formulir_c.html.j2",
                         report_formats(formats),
                         out_dir or ctx.config.reports_dir, now, partial=False,
                         audit_key=ctx.config.audit_key_path):
        click.echo(f"{w.path}  sha256:{w.sha256}")


@report.command("evaluasi")
@click.option("--semester", required=True, help="YYYY-1 (Jan–Jun) or YYYY-2 (Jul–Dec)")
@click.option("--format", "formats", default="html,pdf,json", show_default=True)
@click.option("--out", "out_dir", type=click.Path(path_type=Path))
@click.option("--partial", is_flag=True, help="allow a semester that is not over yet")
@pass_ctx
def report_evaluasi(ctx: Context, semester: str, formats: str, out_dir: Path | None,
                    partial: bool) -> None:
    """Formulir I chapters C and D for a semester (months not started are left out)."""
    from spbe_monitor.regulation.roles import Role
    from spbe_monitor.reports import evaluasi
    from spbe_monitor.reports.evaluasi_catatan import load_notes
    from spbe_monitor.reports.kop import stamped
    from spbe_monitor.reports.penanda_tangan import block, senior
    from spbe_monitor.reports.render import file_report
    from spbe_monitor.reports.words import tanggal

    try:
        year_text, half_text = semester.split("-")
        year, half = int(year_text), int(half_text)
        if half not in (1, 2) or len(year_text) != 4 or not 1970 <= year <= 9998:
            raise ValueError
    except ValueError:
        raise BadInput(f"malformed semester {semester!r}: expected YYYY-1 or YYYY-2") from None
    now = ctx.clock.now()
    months, unfinished = evaluasi.semester_figures(ctx.config, ctx.store, year, half, now)
    if unfinished and not partial:
        raise BadInput(f"semester {semester} is not over: add --partial for a report marked "
                       "SEMENTARA")
    ops = ctx.drp
    statuses = []
    for r in ops.journal.runs():
        try:
            statuses.append(ops.status(r["id"]))
        except SpbeError:  # a run whose playbook is gone: left out of chapter D, said here
            click.echo(f"warning: DRP run {r['id']} left out: its playbook cannot be read",
                       err=True)
    lo, hi = (f"{year}-01", f"{year}-07") if half == 1 else (f"{year}-07", f"{year + 1}-01")
    people = ctx.config.people.values()
    zone = ZoneInfo(ctx.config.settings.timezone)
    end = min(now, datetime(year + half - 1, 7 if half == 1 else 1, 1, tzinfo=zone)
              - timedelta(seconds=1))  # signed on the semester's last day, or today
    signing = {"tempat_tanggal": ", ".join(x for x in (
        ctx.config.settings.reports.place, tanggal(end, str(zone))) if x),
        "blok": [block(senior(people, Role.KOORDINATOR_LAYANAN), "Disusun oleh",
                       "Koordinator Layanan"),
                 block(senior(people, Role.PENYEDIA_LAYANAN), "Mengetahui",
                       "Penyedia Layanan")]}
    notes = load_notes(ctx.config.path.parent / ctx.config.settings.reports.notes
                       / f"{semester}.yaml")
    data = stamped(ctx.config, evaluasi.build(
        year, half, months, evaluasi.drp_rows(statuses, ctx.config.services, lo, hi), notes,
        signing), "I", "semua", semester)
    for w in file_report(ctx.store, "evaluasi", "semua", semester, data, "evaluasi.html.j2",
                         report_formats(formats), out_dir or ctx.config.reports_dir, now,
                         partial=unfinished, audit_key=ctx.config.audit_key_path):
        click.echo(f"{w.path}  sha256:{w.sha256}")


@cli.group()
def audit() -> None:
    """The audit log of manual changes, refusals and approvals (hash-chained)."""


@audit.command("verify")
@pass_ctx
@click.option("--public-key", "public_keys", multiple=True,
              type=click.Path(path_type=Path, dir_okay=False),
              help="a trusted public key (repeatable; default: every *.pub beside audit_key)")
@click.option("--witness", "witnesses", multiple=True,
              type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="a witness file kept elsewhere, e.g. an agent's copy (repeatable; the key "
                   "folder's witness.jsonl is always read)")
def audit_verify(ctx: Context, public_keys: tuple[Path, ...],
                 witnesses: tuple[Path, ...]) -> None:
    """Check the chain, its signed checkpoints, every evidence row and the ledger against
    every witness kept outside it; each problem is named (exit 1)."""
    from spbe_monitor.ledger.checkpoints import load_public, trusted_keys
    from spbe_monitor.ledger.verify import verify, witness_files

    files = list(public_keys) or trusted_keys(ctx.config.audit_key_path)
    keys = [load_public(f) for f in files]
    verdict = verify(ctx.store, keys, witness_files(ctx.config.audit_key_path) + [
        w for w in witnesses if w.resolve() not in witness_files(ctx.config.audit_key_path)])
    if verdict.problems:
        for p in verdict.problems:
            click.echo(f"  {p}", err=True)
        raise SpbeError(f"audit log NOT intact ({len(verdict.problems)} problem(s) above; "
                        f"{verdict.entries} entries read)")
    signed = f"checkpoints verified with {len(keys)} key(s)" if keys else \
        "no signing key yet: checkpoints not checked"
    seen = "; ".join(f"witness {w.path}: {w.checkpoints} checkpoint(s) agree"
                     for w in verdict.witnesses) or "no witness yet (none signed here)"
    click.echo(f"audit log intact: {verdict.entries} entries, evidence rows match their seals,"
               f" {signed}; {seen}")


@audit.command("list")
@click.option("--since", help="from this time on (ISO 8601; zone of spbe.yaml)")
@click.option("--person", help="a NIP (or os:user for administrators)")
@click.option("--service", "service_id", help="entries that mention this service")
@click.option("--action", help="an action or its prefix, e.g. drp. or maintenance.approve")
@click.option("--limit", type=click.IntRange(1, 100_000), default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def audit_list(ctx: Context, since: str | None, person: str | None, service_id: str | None,
               action: str | None, limit: int, as_json: bool) -> None:
    """The newest audit entries first (the ledger's own seals left out)."""
    from spbe_monitor.cli.base import print_json, print_table
    from spbe_monitor.ledger.records import as_dict
    from spbe_monitor.localtime import local_time, zone_label
    from spbe_monitor.timeparse import parse_time

    zone = ctx.config.settings.timezone
    start = parse_time(since, zone, "--since") if since else None
    sid = ctx.config.service(service_id).id if service_id else None
    entries = ctx.store.audit_search(start, person, action, sid, limit)
    if as_json:
        print_json([as_dict(e) for e in entries])
        return
    print_table("Audit log, newest first (before/after: --json)",
                ["ID", f"Time ({zone_label(zone)})", "Actor", "Action", "Subject", "Result"],
                [[e.id, local_time(e.at, zone), e.actor, e.action, e.subject, e.outcome]
                 for e in entries])


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

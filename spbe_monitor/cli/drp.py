"""Disaster recovery: playbooks, gated runs, Formulir G."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click

from spbe_monitor.cli.base import (
    OFFLINE,
    ROW_ID,
    TOTP,
    Context,
    cli,
    pass_ctx,
    print_json,
    report_formats,
)
from spbe_monitor.errors import BadInput
from spbe_monitor.regulation.disaster import Category
from spbe_monitor.reports.words import waktu_detik


@cli.group()
def drp() -> None:
    """Disaster recovery: playbooks, gated runs timed against RTO/RPO, Formulir G."""


def _follow(ctx: Context, run_id: int) -> None:
    """Run in the foreground until done, failed or aborted (exit 1 unless done)."""
    from spbe_monitor.drp.runner import Runner

    ops = ctx.drp
    runner = Runner(ctx.config, ops.journal, ops.playbook_of(run_id, acting=True), run_id,
                    ctx.clock, click.echo)
    state = asyncio.run(runner.run())
    click.echo(f"run {run_id}: {state}")
    if state != "done":
        sys.exit(1)


@drp.command("plan")
@click.argument("playbook")
@click.option("--mode", type=click.Choice(["drill", "disaster"]), default="drill")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def drp_plan(ctx: Context, playbook: str, mode: str, as_json: bool) -> None:
    """Dry run: the order, parallel groups, gates, and what this mode skips."""
    from spbe_monitor.drp.playbook import groups, skipped_in

    book = ctx.drp.playbook(playbook)
    approval = ctx.drp.journal.document_approval(book)
    if as_json:
        print_json({
            "playbook": book.id, "version": str(book.head.version), "sha256": book.sha256,
            "approved": None if approval is None else {
                "nip": approval["nip"], "at": approval["approved_at"].isoformat()},
            "declaration": [{"step": g.step.id, "min_eselon": g.min_eselon.value,
                             "checklist": list(g.gate.checklist)} for g in book.gates],
            **{phase: [[{"step": s.id, "kind": s.kind, "skipped": skipped_in(mode, s)}
                        for s in group] for group in groups(book, phase)]
               for phase in ("recovery", "normalisation")}})
        return
    click.echo(f"playbook {book.id} version {book.head.version} sha256 {book.sha256}")
    zone = ctx.config.services[book.head.services[0]].zone
    click.echo("document: " + (f"approved by {approval['nip']} at "
                               f"{waktu_detik(approval['approved_at'], zone)}"
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
@TOTP
@pass_ctx
def drp_approve_document(ctx: Context, playbook: str, totp: str | None) -> None:
    """Approve the playbook's exact contents (bound to its SHA-256); eselon II, with TOTP."""
    done = ctx.act(f"/api/v1/drp/playbooks/{quote(playbook, safe='')}/approve", {}, totp)
    if done is None:
        book = ctx.drp.approve_document(playbook, ctx.acting("drp.document.approve", totp))
        done = {"playbook": book.id, "sha256": book.sha256}
    click.echo(f"playbook {done['playbook']} approved (sha256 {done['sha256']})")


@drp.command("start")
@click.argument("playbook")
@click.option("--mode", type=click.Choice(["drill", "disaster"]), required=True)
@click.option("--disaster-at", help="when the disaster struck (ISO 8601; default now)")
@click.option("--detach", is_flag=True, help="create the run and return (resume later)")
@click.option("--approved", is_flag=True,
              help="run the text last approved in the ledger, whatever the file says now "
              "(or without the file: a secondary site)")
@OFFLINE
@pass_ctx
def drp_start(ctx: Context, playbook: str, mode: str, disaster_at: str | None,
              detach: bool, approved: bool, offline: bool) -> None:
    """Start a run and follow it in the foreground, waiting at gates."""
    run_id = ctx.drp.start(playbook, mode, ctx.acting("drp.start", offline=offline),
                           disaster_at, approved)
    click.echo(f"run {run_id} started ({mode})")
    if not detach:
        _follow(ctx, run_id)


@drp.command("resume")
@click.argument("run_id", type=ROW_ID, metavar="RUN")
@pass_ctx
def drp_resume(ctx: Context, run_id: int) -> None:
    """Carry on after the runner stopped; completed steps are never run again."""
    ctx.drp.journal.require_running(run_id)
    _follow(ctx, run_id)


def _scenario(category: str | None, recovery_days: float, downtime_hours: float,
              data_lost: bool) -> dict[str, Any] | None:
    return None if category is None else {
        "category": category, "recovery_days": recovery_days,
        "downtime_hours": downtime_hours, "data_lost": data_lost}


def SCENARIO(f: Callable[..., Any]) -> Callable[..., Any]:
    """The Tabel 4.3 scenario an analysis (or a reassessment) records."""
    for option in reversed([
        click.option("--category", type=click.Choice([c.value for c in Category]),
                     help="the scenario's Tabel 4.3 category"),
        click.option("--recovery-days", type=float, default=0.0),
        click.option("--downtime-hours", type=float, default=0.0),
        click.option("--data-lost", is_flag=True),
    ]):
        f = option(f)
    return f


@drp.command("approve")
@click.argument("run_id", type=ROW_ID, metavar="RUN")
@click.argument("step_id", metavar="STEP")
@click.option("--note", help="what was seen; required for unticked checklist items")
@click.option("--checked", "checked", multiple=True, metavar="ITEM",
              help="an assessment's checklist item that was checked (repeatable)")
@click.option("--all-checked", is_flag=True, help="every item of the checklist was checked")
@SCENARIO
@TOTP
@OFFLINE
@pass_ctx
def drp_approve(ctx: Context, run_id: int, step_id: str, note: str | None,
                checked: tuple[str, ...], all_checked: bool, category: str | None,
                recovery_days: float, downtime_hours: float, data_lost: bool,
                totp: str | None, offline: bool) -> None:
    """Sign a gate or approval step, or confirm a manual step (exit 3 when refused);
    eselon II signatures (the declaration) need --totp."""
    scenario = _scenario(category, recovery_days, downtime_hours, data_lost)
    done = None if offline else ctx.act(
        f"/api/v1/drp/runs/{run_id}/steps/{quote(step_id, safe='')}/approve",
        {"note": note, "scenario": scenario, "checked": list(checked),
         "all_checked": all_checked}, totp)
    if done is None:
        who = ctx.acting("drp.approve", totp, offline)
        recorded = ctx.drp.approve(run_id, step_id, who, note, scenario, checked, all_checked)
        signer = who.actor
    else:
        recorded, signer = done, done["signed_by"]
    click.echo(f"run {run_id}: {step_id} signed by {signer}")
    for item, ok in recorded.get("checklist", {}).items():
        click.echo(f"  [{'x' if ok else ' '}] {item}")
    verdict = recorded.get("tabel_4_3")
    if verdict:
        _print_verdict(verdict)


def _print_verdict(verdict: dict[str, Any]) -> None:
    row = f"row {verdict['row']}" if verdict["row"] else "no row"
    click.echo(f"  Tabel 4.3 {row}: {verdict['response']} — {verdict['reason']}")


@drp.command("reassess")
@click.argument("run_id", type=ROW_ID, metavar="RUN")
@click.option("--note", help="what changed since the last analysis")
@SCENARIO
@OFFLINE
@pass_ctx
def drp_reassess(ctx: Context, run_id: int, note: str | None, category: str | None,
                 recovery_days: float, downtime_hours: float, data_lost: bool,
                 offline: bool) -> None:
    """Run Tabel 4.3 again inside an open run (the earlier analyses are kept): e.g. once
    the outage has passed 24 hours. A disaster's declaration reads the newest."""
    scenario = _scenario(category, recovery_days, downtime_hours, data_lost)
    done = None if offline else ctx.act(f"/api/v1/drp/runs/{run_id}/reassess",
                                        {"note": note, "scenario": scenario})
    if done is None:
        verdict = ctx.drp.reassess(run_id, ctx.acting("drp.reassess", None, offline),
                                   scenario, note)
    else:
        verdict = done["tabel_4_3"]
    click.echo(f"run {run_id}: analysis reassessed")
    _print_verdict(verdict)


@drp.command("evaluate")
@click.argument("run_id", type=ROW_ID, metavar="RUN")
@click.option("--causes", help="why targets were missed (Formulir G §C)")
@click.option("--obstacles", help="what stood in the way (§C)")
@click.option("--improvements", help="what to improve (§E)")
@OFFLINE
@pass_ctx
def drp_evaluate(ctx: Context, run_id: int, causes: str | None, obstacles: str | None,
                 improvements: str | None, offline: bool) -> None:
    """The Koordinator Pemulihan's own evaluation, printed in Formulir G beside what was
    measured; writing it again replaces the printed version (every version is kept)."""
    from spbe_monitor.drp import review

    parts = {"causes": causes or "", "obstacles": obstacles or "",
             "improvements": improvements or ""}
    done = None if offline else ctx.act(f"/api/v1/drp/runs/{run_id}/evaluation", parts)
    if done is None:
        review.evaluate(ctx.drp, run_id, ctx.acting("drp.evaluate", None, offline), parts)
    click.echo(f"run {run_id}: evaluation recorded; `spbe drp report {run_id}` prints it")


@drp.command("acknowledge")
@click.argument("run_id", type=ROW_ID, metavar="RUN")
@click.option("--sha256", required=True, help="of the Formulir G PDF you read")
@TOTP
@pass_ctx
def drp_acknowledge(ctx: Context, run_id: int, sha256: str, totp: str | None) -> None:
    """"Mengetahui" of a finished run's filed Formulir G (Penyedia Layanan, eselon II+)."""
    from spbe_monitor.drp import review

    done = ctx.act(f"/api/v1/drp/runs/{run_id}/acknowledge", {"sha256": sha256}, totp)
    if done is None:
        done = review.acknowledge(ctx.drp, run_id, ctx.acting("report.signoff", totp), sha256)
    click.echo(f"run {run_id}: Formulir G {sha256[:16]}… acknowledged by {done['signed_by']}")


@drp.command("step")
@click.argument("run_id", type=ROW_ID, metavar="RUN")
@click.argument("step_id", metavar="STEP")
@click.argument("decision", type=click.Choice(["retry", "skip", "mark-done"]))
@click.option("--reason", required=True)
@click.option("--recovered-at", default=None,
              help="mark-done of a wait_healthy: when the services were seen recovered "
                   "(ISO 8601; without offset: the service's zone)")
@OFFLINE
@pass_ctx
def drp_step(ctx: Context, run_id: int, step_id: str, decision: str, reason: str,
             recovered_at: str | None, offline: bool) -> None:
    """Decide on an in-doubt or failed step after verifying it."""
    if offline or ctx.act(f"/api/v1/drp/runs/{run_id}/steps/{quote(step_id, safe='')}"
                          "/decision", {"decision": decision, "reason": reason,
                                        "recovered_at": recovered_at}) is None:
        ctx.drp.decide(run_id, step_id, decision, reason,
                       ctx.acting("drp.step", offline=offline), recovered_at)
    click.echo(f"run {run_id}: {step_id} {decision}")


@drp.command("abort")
@click.argument("run_id", type=ROW_ID, metavar="RUN")
@click.option("--reason", required=True)
@OFFLINE
@pass_ctx
def drp_abort(ctx: Context, run_id: int, reason: str, offline: bool) -> None:
    """Stop a run for good, with the reason (a Koordinator Pemulihan, eselon III+)."""
    answer = None if offline else ctx.act(f"/api/v1/drp/runs/{run_id}/abort",
                                          {"reason": reason})
    untold = (ctx.drp.abort(run_id, reason, ctx.acting("drp.aborted", offline=offline))
              if answer is None else answer.get("untold", []))
    for problem in untold:
        click.echo(f"warning: not told: {problem}", err=True)
    click.echo(f"run {run_id} aborted")


@drp.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def drp_list(ctx: Context, as_json: bool) -> None:
    """Every run, newest last (times in the configured zone)."""
    from spbe_monitor import readings

    runs, zone = ctx.read("/api/v1/drp/runs", {},
                          lambda: readings.drp_runs(ctx.config, ctx.store, ctx.clock))
    if as_json:
        print_json(runs)
        return

    def local(iso: str | None) -> str:
        return waktu_detik(datetime.fromisoformat(iso), zone) if iso else "-"

    for r in runs:
        click.echo(f"{r['id']:>4}  {r['playbook']} v{r['playbook_version']}  {r['mode']}  "
                   f"{r['state']}\n      started {local(r['started_at'])} by {r['started_by']}"
                   f"; declared {local(r['declared_at'])}")


@drp.command("report")
@click.argument("run_id", type=ROW_ID, metavar="RUN")
@click.option("--format", "formats", default="html,pdf,json", show_default=True)
@click.option("--out", "out_dir", type=click.Path(path_type=Path))
@pass_ctx
def drp_report(ctx: Context, run_id: int, formats: str, out_dir: Path | None) -> None:
    """Formulir G — Laporan Evaluasi DRP for a run."""
    from spbe_monitor.reports.jobs import formulir_g_report

    for w in formulir_g_report(ctx.config, ctx.store, ctx.drp, run_id, report_formats(formats),
                               out_dir or ctx.config.reports_dir, ctx.clock.now()):
        click.echo(f"{w.path}  sha256:{w.sha256}")


@drp.command("status")
@click.argument("run_id", type=ROW_ID, metavar="RUN")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def drp_status(ctx: Context, run_id: int, as_json: bool) -> None:
    """A run's steps, runner, RTO and RPO (times in the service's zone)."""
    from spbe_monitor import readings
    from spbe_monitor.cli.drp_view import render

    status, _ = ctx.read(f"/api/v1/drp/runs/{run_id}", {},
                         lambda: readings.drp_run(ctx.config, ctx.store, ctx.clock, run_id))
    if as_json:
        print_json(status)
        return
    click.echo(render(status))


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
        print_json({"response": verdict.response.value, "row": verdict.row,
                     "reason": verdict.reason})
        return
    row = f"Tabel 4.3 baris {verdict.row}" if verdict.row else "tidak ada baris Tabel 4.3"
    click.echo(f"{verdict.response.value} ({row}: {verdict.reason})")

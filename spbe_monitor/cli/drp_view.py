"""`spbe drp status` as a person reads it at 80 columns: the run's facts, who drives it,
each step on one line (its note wrapped below), then RTO and RPO per service. Times are in
the service's zone; the figures are those of `RunStatus`, as `--json` prints them."""

from __future__ import annotations

import textwrap
from datetime import datetime
from zoneinfo import ZoneInfo

from spbe_monitor.drp.status import Recovery, RunStatus
from spbe_monitor.reports.words import waktu_detik, zona

WIDTH = 80


def span(seconds: float | None) -> str:
    """`5s`, `2m 18s`, `13h 22m 38s`, `1d`: exact to the second, zero parts left out."""
    if seconds is None:
        return "-"
    rest = round(seconds)
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return " ".join(parts) or "0s"


def _verdict(achieved: float | None, target: float | None, met: bool | None) -> str:
    if achieved is None:
        return "not measured"
    word = {True: "met", False: "MISSED", None: "no target"}[met]
    return f"{span(achieved)} (target {span(target)}): {word}"


def _recovery(rec: Recovery, zone: str) -> list[str]:
    lines = [f"  {rec.service}",
             f"    RTO {_verdict(rec.rto_achieved, rec.rto_target, rec.rto_met)}",
             f"    RPO {_verdict(rec.rpo_achieved, rec.rpo_target, rec.rpo_met)}"]
    if rec.recovered_at:
        lines.append(f"    recovered {waktu_detik(rec.recovered_at, zone)}")
    if rec.recovery_point:
        lines.append(f"    recovery point {waktu_detik(rec.recovery_point, zone)}")
    parts = [f"{k.replace('_', ' ')} {span(v)}" for k, v in rec.rto_breakdown.items() if v]
    if parts:
        lines += textwrap.wrap("RTO = " + " + ".join(parts), WIDTH - 2,
                               initial_indent="    ", subsequent_indent="      ")
    return lines


def render(status: RunStatus, zone: str) -> str:
    """The whole status as text lines."""
    tz = ZoneInfo(zone)
    day = status.started_at.astimezone(tz).date()

    def clock(moment: datetime | None) -> str:
        if moment is None:
            return "…"
        local = moment.astimezone(tz)
        return f"{local:%H.%M.%S}" if local.date() == day else f"{local:%d/%m %H.%M.%S}"

    def when(moment: datetime | None) -> str:
        return waktu_detik(moment, zone) if moment else "-"

    lines = [f"run {status.run}: {status.playbook} version {status.playbook_version}, "
             f"{status.mode}, {status.state.value}",
             f"  started   {when(status.started_at)} by {status.started_by}",
             f"  disaster  {when(status.disaster_at)}",
             f"  declared  {when(status.declared_at)}"]
    if status.finished_at:
        lines.append(f"  finished  {when(status.finished_at)}"
                     + (f": {status.reason}" if status.reason else ""))
    runner = status.runner
    if runner is not None:
        lines.append(f"  runner    {runner.holder}, lease renewed {clock(runner.renewed_at)}"
                     if runner.alive else "  runner    none alive" + (
                         f" since {when(runner.renewed_at)}" if runner.renewed_at else "")
                     + f" (`spbe drp resume {status.run}` carries on)")
    if status.changed_since_start:
        lines.append("  the playbook file changed since the run started: the run follows "
                     "its own copy")
    if status.waiting_decision:
        lines += textwrap.wrap(
            "waiting for a Koordinator Pemulihan's decision on: "
            + ", ".join(status.waiting_decision)
            + f" (`spbe drp step {status.run} STEP retry|skip|mark-done --reason …`)", WIDTH)
    lines.append(f"steps (times {zona(zone)}):")
    for s in status.steps:
        times = f"{clock(s.began)}–{clock(s.finished_at)}" if s.began else ""
        lines.append(f"  {s.state.value:<16} {s.id:<24} {times}")
        said = " · ".join(x for x in (
            f"attempt {s.attempts}" if s.attempts > 1 else "",
            f"by {s.actor}" if s.actor else "", s.note or "") if x)
        if said:
            lines += textwrap.wrap(said, WIDTH - 2, initial_indent=" " * 19,
                                   subsequent_indent=" " * 19)
    lines.append("RTO and RPO (counted from the declaration):")
    for rec in status.services:
        lines += _recovery(rec, zone)
    return "\n".join(lines)

"""`spbe drp status` as a person reads it at 80 columns: the run's facts, who drives it,
each step on one line (its note wrapped below), then RTO and RPO per service. Times are in
the service's zone; it reads `RunStatus.as_json()` (what `--json` prints, whether it came
through the daemon or straight from the ledger), so the two cannot differ."""

from __future__ import annotations

import textwrap
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

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


def _moment(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None


def _recovery(rec: dict[str, Any], zone: str) -> list[str]:
    lines = [f"  {rec['service']}",
             "    RTO " + _verdict(rec["rto_achieved_seconds"], rec["rto_target_seconds"],
                               rec["rto_met"]),
             "    RPO " + _verdict(rec["rpo_achieved_seconds"], rec["rpo_target_seconds"],
                               rec["rpo_met"])]
    for key, said in (("recovered_at", "recovered"), ("recovery_point", "recovery point")):
        moment = _moment(rec[key])
        if moment:
            lines.append(f"    {said} {waktu_detik(moment, zone)}")
    parts = [f"{k.replace('_', ' ')} {span(v)}"
             for k, v in rec["rto_breakdown_seconds"].items() if v]
    if parts:
        lines += textwrap.wrap("RTO = " + " + ".join(parts), WIDTH - 2,
                               initial_indent="    ", subsequent_indent="      ")
    return lines


def render(status: dict[str, Any]) -> str:
    """The whole status (`readings.drp_run`) as text lines."""
    zone = status["timezone"]
    tz = ZoneInfo(zone)
    started = datetime.fromisoformat(status["started_at"])
    day = started.astimezone(tz).date()

    def clock(iso: str | None) -> str:
        moment = _moment(iso)
        if moment is None:
            return "…"
        local = moment.astimezone(tz)
        return f"{local:%H.%M.%S}" if local.date() == day else f"{local:%d/%m %H.%M.%S}"

    def when(iso: str | None) -> str:
        moment = _moment(iso)
        return waktu_detik(moment, zone) if moment else "-"

    run = status["run"]
    lines = [f"run {run}: {status['playbook']} version {status['playbook_version']}, "
             f"{status['mode']}, {status['state']}",
             f"  started   {when(status['started_at'])} by {status['started_by']}",
             f"  disaster  {when(status['disaster_at'])}",
             f"  declared  {when(status['declared_at'])}"]
    if status["finished_at"]:
        lines.append(f"  finished  {when(status['finished_at'])}"
                     + (f": {status['reason']}" if status["reason"] else ""))
    runner = status["runner"]
    if runner is not None:
        lines.append(f"  runner    {runner['holder']}, lease renewed {clock(runner['renewed_at'])}"
                     if runner["alive"] else "  runner    none alive" + (
                         f" since {when(runner['renewed_at'])}" if runner["renewed_at"] else "")
                     + f" (`spbe drp resume {run}` carries on)")
    if status["changed_since_start"]:
        lines.append("  the playbook file changed since the run started: the run follows "
                     "its own copy")
    if status["waiting_decision"]:
        lines += textwrap.wrap(
            "waiting for a Koordinator Pemulihan's decision on: "
            + ", ".join(status["waiting_decision"])
            + f" (`spbe drp step {run} STEP retry|skip|mark-done --reason …`)", WIDTH)
    lines.append(f"steps (times {zona(zone)}):")
    for s in status["steps"]:
        times = f"{clock(s['began'])}–{clock(s['finished_at'])}" if s["began"] else ""
        lines.append(f"  {s['state']:<16} {s['id']:<24} {times}")
        said = " · ".join(x for x in (
            f"attempt {s['attempts']}" if s["attempts"] > 1 else "",
            f"by {s['actor']}" if s["actor"] else "", s["note"] or "") if x)
        if said:
            lines += textwrap.wrap(said, WIDTH - 2, initial_indent=" " * 19,
                                   subsequent_indent=" " * 19)
    lines.append("RTO and RPO (counted from the declaration):")
    for rec in status["services"]:
        lines += _recovery(rec, zone)
    return "\n".join(lines)

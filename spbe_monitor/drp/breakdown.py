"""Where a recovery's time went, so the parts add up to the RTO (pure). The span from the
declaration to the recovery is cut at every change of activity; each piece is counted once,
under the first of CATEGORIES that was going on then: a step running, a manual step or an
approval waiting for a person, a failed or in-doubt step waiting for the Koordinator's
decision, no runner alive, or else the runner between steps (`idle`)."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

CATEGORIES = ("automated", "manual", "waiting_approval", "waiting_decision", "no_runner",
              "idle")
DECISIONS = {"step.retry", "step.skip", "step.mark-done", "step.approved"}


@dataclass(frozen=True)
class Span:
    category: str
    start: datetime
    end: datetime


def partition(begin: datetime, end: datetime, spans: list[Span]) -> dict[str, float]:
    """Seconds per category over [begin, end]; they sum to end − begin exactly."""
    out = dict.fromkeys(CATEGORIES, 0.0)
    if end <= begin:
        return out
    cuts = sorted({begin, end, *(t for s in spans for t in (s.start, s.end) if begin < t < end)})
    for a, b in itertools.pairwise(cuts):
        going = {s.category for s in spans if s.start <= a and s.end >= b}
        category = next((c for c in CATEGORIES if c in going), "idle")
        out[category] += (b - a).total_seconds()
    return out


def spans_of(journal: list[dict[str, Any]], kinds: dict[str, str], until: datetime
             ) -> list[Span]:
    """Activities from the run's journal. `kinds`: step id → kind; `until` closes whatever
    is still going on (now, or the recovery)."""
    spans: list[Span] = []
    running: dict[str, datetime] = {}  # step → since
    waiting: dict[str, datetime] = {}  # manual/approval step → waiting since
    deciding: dict[str, datetime] = {}  # failed / in-doubt step → since
    alive_since: datetime | None = None
    for e in journal:
        at, event, step = e["at"], e["event"], e["step_id"]
        detail = json.loads(e["detail"] or "{}")
        if event == "runner.start":
            if alive_since is not None:  # the runner before it died unseen
                dead = datetime.fromisoformat(detail["dead_since"]) if detail.get(
                    "dead_since") else at
                spans.append(Span("runner", alive_since, max(alive_since, dead)))
                for sid in list(running):  # what it ran stopped when it died
                    since = running.pop(sid)
                    spans.append(Span("automated", since, max(since, dead)))
            alive_since = at
        elif event == "runner.stop" and alive_since is not None:
            spans.append(Span("runner", alive_since, at))
            alive_since = None
        elif event == "step.running":
            running[step] = at
        elif event in ("step.done", "step.failed", "step.in_doubt") and step in running:
            spans.append(Span("automated", running.pop(step), at))
        elif event == "step.waiting" and kinds.get(step) in ("manual", "approval"):
            waiting[step] = at
        if event in ("step.failed", "step.in_doubt"):
            deciding[step] = at
        if event in DECISIONS or event == "step.retry":
            if step in deciding:
                spans.append(Span("waiting_decision", deciding.pop(step), at))
            if step in waiting:
                category = "manual" if kinds.get(step) == "manual" else "waiting_approval"
                spans.append(Span(category, waiting.pop(step), at))
    spans += [Span("automated", t, until) for t in running.values()]
    spans += [Span("waiting_decision", t, until) for t in deciding.values()]
    spans += [Span("manual" if kinds.get(s) == "manual" else "waiting_approval", t, until)
              for s, t in waiting.items()]
    if alive_since is not None:
        spans.append(Span("runner", alive_since, until))
    return spans


def with_runner_gaps(spans: list[Span], begin: datetime, end: datetime) -> list[Span]:
    """`no_runner` wherever no runner span covers [begin, end]; runner spans dropped."""
    alive = sorted((s for s in spans if s.category == "runner"), key=lambda s: s.start)
    gaps, at = [], begin
    for s in alive:
        if s.start > at:
            gaps.append(Span("no_runner", at, min(s.start, end)))
        at = max(at, s.end)
    if at < end:
        gaps.append(Span("no_runner", at, end))
    return [s for s in spans if s.category != "runner"] + [g for g in gaps if g.end > g.start]

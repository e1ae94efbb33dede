"""Which steps may start now (pure): the declaration in Tabel 4.4's order, recovery once the
disaster is declared, normalisation once recovery is over; within a phase, by `needs`."""

from __future__ import annotations

from typing import Any

from spbe_monitor.drp.playbook import Playbook
from spbe_monitor.drp.status import StepState


def satisfied(step: dict[str, Any], playbook: Playbook) -> bool:
    """Counts as finished for whatever depends on it."""
    if StepState(step["state"]).settled:
        return True
    if step["state"] == StepState.FAILED and step["phase"] != "declaration":
        return playbook.steps[step["step_id"]][1].on_failure == "continue"
    return False


def ready(steps: list[dict[str, Any]], playbook: Playbook) -> list[dict[str, Any]]:
    by_id = {s["step_id"]: s for s in steps}
    declaration = [s for s in steps if s["phase"] == "declaration"]
    recovery = [s for s in steps if s["phase"] == "recovery"]
    out = []
    for i, s in enumerate(declaration):
        if StepState(s["state"]).open and all(
                satisfied(d, playbook) for d in declaration[:i]):
            out.append(s)
    declared = all(satisfied(d, playbook) for d in declaration)
    recovered = declared and all(satisfied(r, playbook) for r in recovery)
    for s in steps:
        if s["phase"] == "declaration" or not StepState(s["state"]).open:
            continue
        if (s["phase"] == "recovery" and not declared) or (
                s["phase"] == "normalisation" and not recovered):
            continue
        needs = playbook.steps[s["step_id"]][1].needs
        if all(satisfied(by_id[n], playbook) for n in needs):
            out.append(s)
    return out


def blocking_failure(steps: list[dict[str, Any]], playbook: Playbook) -> dict[str, Any] | None:
    for s in steps:
        if s["state"] == StepState.FAILED and not satisfied(s, playbook):
            return s
    return None

"""A declaration gate's checklist, as the assessor ticked it (pure). Every item is answered:
ticked, or not ticked with a note saying why, so Formulir G shows what was checked."""

from __future__ import annotations

from collections.abc import Sequence

from spbe_monitor.errors import BadInput


def ticked(step_id: str, checklist: Sequence[str], checked: Sequence[str],
           all_checked: bool, note: str | None) -> dict[str, bool]:
    """Each checklist item → ticked or not; a reason for anything left unticked."""
    if not checklist:
        if checked or all_checked:
            raise BadInput(f"{step_id} has no checklist to tick")
        return {}
    if all_checked and checked:
        raise BadInput("give --checked items or --all-checked, not both")
    items = ", ".join(f'"{c}"' for c in checklist)
    if not all_checked and not checked:
        raise BadInput(f"{step_id} has a checklist ({items}): tick what was checked with "
                       "--checked ITEM (repeatable) or --all-checked")
    unknown = [c for c in checked if c not in checklist]
    if unknown:
        raise BadInput(f"not on the checklist of {step_id}: "
                       + ", ".join(f'"{c}"' for c in unknown) + f" (the checklist: {items})")
    answers = {item: all_checked or item in checked for item in checklist}
    if not all(answers.values()) and not (note and note.strip()):
        left = ", ".join(f'"{c}"' for c, ok in answers.items() if not ok)
        raise BadInput(f"unticked items need --note saying why: {left}")
    return answers

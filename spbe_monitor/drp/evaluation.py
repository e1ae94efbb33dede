"""The Koordinator Pemulihan's own evaluation of a run — causes, obstacles, improvements —
as kept in the run's journal (every version kept, the newest printed in Formulir G §C–E
beside what the runner measured). Pure: the acts that write it are in `drp/review.py`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

EVALUATED = "evaluation.recorded"
FIELDS = ("causes", "obstacles", "improvements")


@dataclass(frozen=True)
class Evaluation:
    causes: str
    obstacles: str
    improvements: str
    by: str

    def as_json(self) -> dict[str, str]:
        return {"causes": self.causes, "obstacles": self.obstacles,
                "improvements": self.improvements, "by": self.by}


def newest(journal: list[dict[str, Any]]) -> Evaluation | None:
    """The evaluation as last written (earlier versions stay in the journal)."""
    rows = [json.loads(e["detail"] or "{}") for e in journal if e["event"] == EVALUATED]
    if not rows:
        return None
    d = rows[-1]
    return Evaluation(d.get("causes", ""), d.get("obstacles", ""),
                      d.get("improvements", ""), d.get("by", ""))

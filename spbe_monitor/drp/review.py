"""What people add to a run's Formulir G after (or during) it: the Koordinator Pemulihan's
evaluation (`drp/evaluation.py`) and the Penyedia Layanan's "Mengetahui" of the exact PDF
filed, as for Formulir F. Both decided in the one room (`authority`) and kept in the
ledger: the evaluation as a journal row of the run, audited; the acknowledgement as a
report sign-off of the PDF's SHA-256."""

from __future__ import annotations

from typing import Any

from spbe_monitor.authority import Acting
from spbe_monitor.drp.evaluation import EVALUATED, FIELDS, Evaluation
from spbe_monitor.drp.operations import Drp
from spbe_monitor.drp.status import RunState
from spbe_monitor.errors import BadInput
from spbe_monitor.reports.jobs import KIND_G

MAX_TEXT = 4000  # characters per part: a section of a form, not a file


def evaluate(drp: Drp, run_id: int, who: Acting, parts: dict[str, str]) -> Evaluation:
    """Record the Koordinator's evaluation (all three parts, as they stand now)."""
    book = drp.playbook_of(run_id)
    subject = f"drp-run:{run_id}"
    actor = drp.authority.drp_evaluation(who, book, subject)
    text = {k: (parts.get(k) or "").strip() for k in FIELDS}
    if not any(text.values()):
        raise BadInput("write at least one of causes, obstacles, improvements")
    long = [k for k, v in text.items() if len(v) > MAX_TEXT]
    if long:
        raise BadInput(f"{', '.join(long)}: at most {MAX_TEXT} characters each")
    drp.journal.move_run_event(run_id, drp.clock.now(), EVALUATED, {**text, "by": actor},
                               audited_as="drp.evaluate")
    return Evaluation(text["causes"], text["obstacles"], text["improvements"], actor)


def acknowledge(drp: Drp, run_id: int, who: Acting, sha256: str) -> dict[str, Any]:
    """"Mengetahui" of the Formulir G filed for a finished run, by its PDF's SHA-256 (the
    bytes the Penyedia Layanan read): a later version needs its own."""
    run = drp.journal.run(run_id)
    book = drp.playbook_of(run_id)
    subject, period = book.id, f"run-{run_id}"
    if run["state"] is RunState.RUNNING:
        raise BadInput(f"run {run_id} is still running: its Formulir G is SEMENTARA")
    pdf = newest_pdf(drp, run_id)
    if pdf is None:
        raise BadInput(f"Formulir G of run {run_id} is not filed yet (drp report {run_id})")
    if sha256 != pdf["sha256"]:
        raise BadInput(f"Formulir G of run {run_id} was filed again since: the newest PDF "
                       f"is {pdf['sha256']}; read it before signing")
    actor = drp.authority.report_signoff(who, "Formulir G", book.head.services,
                                         f"{KIND_G}:{subject}/{period}")
    drp.store.sign_report(KIND_G, subject, period, sha256, actor, drp.clock.now())
    return {"run": run_id, "sha256": sha256, "signed_by": actor}


def newest_pdf(drp: Drp, run_id: int) -> dict[str, Any] | None:
    """The run's Formulir G PDF as last filed (the one to acknowledge), if any."""
    book = drp.playbook_of(run_id)
    return next((r for r in reversed(drp.store.reports(KIND_G, f"run-{run_id}"))
                 if r["subject"] == book.id and r["format"] == "pdf"), None)


def acknowledgements(drp: Drp, run_id: int) -> list[dict[str, Any]]:
    book = drp.playbook_of(run_id)
    return [s for s in drp.store.signoffs(KIND_G, f"run-{run_id}") if s["subject"] == book.id]

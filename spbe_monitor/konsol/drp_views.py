"""What the Konsol's DRP pages show: the playbooks a person's services have (approval state,
SHA-256, the diff against the last approved text), and a run as `Drp.status` reports it —
the same `RunStatus` the CLI and Formulir G read — with the act each open step asks for and
what the one room's rules say about this person taking it (the room still decides)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from spbe_monitor.config.loader import Config
from spbe_monitor.config.models import Person
from spbe_monitor.drp.gates import (
    coordinator_refusal,
    document_refusal,
    refusal,
    signing_eselon,
)
from spbe_monitor.drp.keterangan import in_bahasa
from spbe_monitor.drp.operations import Drp
from spbe_monitor.drp.playbook import Playbook, load_playbook
from spbe_monitor.drp.progress import ready
from spbe_monitor.drp.status import RunState, RunStatus, StepState
from spbe_monitor.drp.steps.person import Approval
from spbe_monitor.drp.steps.wait_healthy import Config as WaitHealthy
from spbe_monitor.errors import ConfigError
from spbe_monitor.konsol.alasan import indonesian
from spbe_monitor.regulation.disaster import DECLARATION, Category
from spbe_monitor.regulation.eselon import Eselon, at_least
from spbe_monitor.regulation.roles import Role
from spbe_monitor.reports.words import durasi, durasi_tepat, nip, waktu_detik

FASE = {"declaration": "Pernyataan bencana", "recovery": "Pemulihan",
        "normalisation": "Normalisasi"}
KEADAAN_LANGKAH = {StepState.PENDING: "menunggu giliran",
                   StepState.WAITING_APPROVAL: "menunggu tindakan",
                   StepState.RUNNING: "sedang berjalan", StepState.DONE: "selesai",
                   StepState.FAILED: "gagal", StepState.IN_DOUBT: "diragukan",
                   StepState.SKIPPED: "dilewati"}
KEADAAN_PELAKSANAAN = {RunState.RUNNING: "berjalan", RunState.DONE: "selesai",
                       RunState.FAILED: "gagal", RunState.ABORTED: "dihentikan"}
MODE = {"drill": "latihan", "disaster": "bencana"}
KEPUTUSAN = {"retry": "ulangi", "skip": "lewati", "mark-done": "tandai selesai"}
KATEGORI = [(c.value, c.label) for c in Category]


def covers(book: Playbook, person: Person) -> bool:
    return bool(set(book.head.services) & set(person.services))


def playbooks(config: Config) -> list[Playbook | tuple[Path, str]]:
    """Every playbook in the folder; one that does not load is shown with its error."""
    out: list[Playbook | tuple[Path, str]] = []
    for path in sorted(config.playbooks_dir.glob("*.y*ml")):
        try:
            out.append(load_playbook(path, config))
        except ConfigError as exc:
            out.append((path, str(exc)))
    return out


def _name(config: Config, who: str | None) -> str:
    person = config.people.get(who or "")
    return f"{person.name} (NIP {nip(person.nip)})" if person else (who or "-")


def listing(drp: Drp, person: Person) -> dict[str, Any]:
    """The DRP page: the person's playbooks with approval state, and their runs."""
    config = drp.config
    rows, broken = [], []
    for book in playbooks(config):
        if isinstance(book, tuple):
            broken.append({"berkas": book[0].name, "galat": book[1]})
            continue
        if not covers(book, person):
            continue
        zone = config.services[book.head.services[0]].zone
        approval = drp.journal.document_approval(book)
        rows.append({
            "id": book.id, "versi": book.head.version, "sha256": book.sha256,
            "layanan": [config.services[s].name for s in book.head.services],
            "disetujui": None if approval is None else
            f"{_name(config, approval['nip'])}, {waktu_detik(approval['approved_at'], zone)}",
            "pelaksanaan": [_run_row(r, zone) for r in drp.journal.runs()
                            if r["playbook_id"] == book.id]})
    return {"playbook": rows, "rusak": broken}


def _run_row(run: dict[str, Any], zone: str) -> dict[str, Any]:
    return {"id": run["id"], "mode": MODE[run["mode"]],
            "keadaan": KEADAAN_PELAKSANAAN[run["state"]],
            "mulai": waktu_detik(run["started_at"], zone)}


def document(drp: Drp, book: Playbook, person: Person) -> dict[str, Any]:
    """A playbook's text, its SHA-256 and what changed since the last approved version;
    the approval form only for a person the rules let approve it."""
    approval = drp.journal.document_approval(book)
    last = drp.journal.last_approval(book.id)
    zone = drp.config.services[book.head.services[0]].zone
    diff: list[tuple[str, str]] = []
    note = None
    if approval is not None:
        note = "Isi ini sudah disetujui; tidak ada perubahan sejak persetujuan."
    elif last is None:
        note = "Belum pernah disetujui: seluruh isi adalah baru."
    elif last["text"] is None:
        note = (f"Versi yang disetujui sebelumnya (SHA-256 {last['sha256'][:16]}…) disetujui "
                "sebelum isinya disimpan bersama persetujuan; perbandingan tidak tersedia.")
    else:
        lines = difflib.unified_diff(last["text"].splitlines(), book.text.splitlines(),
                                     "disetujui", "sekarang", lineterm="", n=2)
        diff = [({"+": "tambah", "-": "hapus", "@": "posisi"}.get(line[:1], "sama"), line)
                for line in list(lines)[2:]]
    return {"id": book.id, "versi": book.head.version, "sha256": book.sha256,
            "langkah": readable(drp.config, book), "teks": book.text, "beda": diff,
            "catatan": note,
            "sebelumnya": None if last is None else {
                "sha256": last["sha256"], "oleh": _name(drp.config, last["nip"]),
                "pada": waktu_detik(last["approved_at"], zone)},
            "disetujui": approval is not None,
            "boleh_setujui": document_refusal(book, person.roles, person.eselon,
                                              person.services) is None}


JENIS = {"command": "perintah di server pemantau", "ssh": "perintah melalui SSH",
         "http": "permintaan HTTP", "wait_healthy": "verifikasi layanan berjalan",
         "notify": "pemberitahuan", "manual": "konfirmasi oleh tim pemulihan",
         "approval": "persetujuan", "recovery_point": "penetapan titik pemulihan data"}
DILAKUKAN = {"drill": "hanya saat uji", "disaster": "hanya saat bencana"}


def readable(config: Config, book: Playbook) -> dict[str, Any]:
    """The playbook as an official reads it before approving: the services with their RTO
    and RPO, then each step by phase — its title, what it does, who signs and how long it
    is expected to take — the YAML and its diff below."""
    def role_names(roles: tuple[Role, ...]) -> str:
        return ", ".join(r.label for r in roles)

    rows = []
    for g in book.gates:
        who = f"pejabat eselon {g.gate.min_eselon or g.step.min_eselon} atau lebih tinggi"
        if g.step.id == "declare":
            who = "Penyedia Layanan, " + who
        if g.gate.roles:
            who += f" ({role_names(g.gate.roles)})"
        rows.append({"fase": FASE["declaration"], "judul": g.step.title,
                     "jenis": "penilaian dan tanda tangan", "penanda_tangan": who,
                     "perkiraan": "-", "catatan": ", ".join(g.gate.checklist)})
    for phase, step in book.steps.values():
        who = "-"
        if isinstance(step, Approval):
            who = f"pejabat eselon {step.min_eselon} atau lebih tinggi" + (
                f" ({role_names(step.roles)})" if step.roles else "")
        elif step.kind == "manual":
            who = "tim pemulihan"
        rows.append({"fase": FASE[phase], "judul": step.title,
                     "jenis": JENIS.get(step.kind, step.kind), "penanda_tangan": who,
                     "perkiraan": durasi_tepat(step.expected.total_seconds())
                     if step.expected else "-",
                     "catatan": DILAKUKAN.get(str(step.mode), "")})
    def target(value: timedelta | None) -> str:
        return durasi(value.total_seconds()) if value else "-"

    services = [{"nama": svc.name, "rto": target(svc.rto), "rpo": target(svc.rpo)}
                for sid in book.head.services if (svc := config.services.get(sid))]
    return {"layanan": services, "langkah": rows}


@dataclass(frozen=True)
class Act:
    """A form on the run page: what the step asks of a person, and the rules' hint."""

    step: str
    kind: str  # sign | decide
    title: str
    checklist: tuple[str, ...]
    totp: bool
    analyse: bool
    recovered_at: bool
    hint: str | None  # why the rules would refuse this person, in Bahasa Indonesia


def _titles(book: Playbook) -> dict[str, str]:
    return {d.id: d.title for d in DECLARATION} | {
        sid: s.title for sid, (_, s) in book.steps.items()}


def acts(drp: Drp, run_id: int, status: RunStatus, person: Person) -> list[Act]:
    """The forms the run page offers this person now."""
    if status.state is not RunState.RUNNING:
        return []
    book = drp.playbook_of(run_id)
    titles = _titles(book)
    open_now = {s["step_id"] for s in ready(drp.journal.steps(run_id), book)}
    out = []
    for step in status.steps:
        gate = next((g for g in book.gates if g.step.id == step.id), None)
        signed = step.phase == "declaration" or step.kind in ("approval", "manual")
        if step.id in open_now and signed:
            why = refusal(book, step.id, person.nip, person.roles, person.eselon,
                          person.services, status.started_by)
            needed = signing_eselon(book, step.id)
            out.append(Act(step.id, "sign", titles[step.id],
                           gate.gate.checklist if gate else (),
                           needed is not None and at_least(needed, Eselon.II),
                           step.id == "analyse", False, why and indonesian(why)))
        elif step.id in status.waiting_decision:
            why = coordinator_refusal(book, "deciding", person.roles, person.eselon,
                                      person.services, Eselon.III)
            settings = book.steps.get(step.id, (None, None))[1]
            out.append(Act(step.id, "decide", titles[step.id], (), False, False,
                           isinstance(settings, WaitHealthy), why and indonesian(why)))
    return out


def run_view(drp: Drp, status: RunStatus, now: datetime) -> dict[str, Any]:
    """A run as the live page shows it: phase, steps, RTO clock since the declaration."""
    config = drp.config
    book = drp.playbook_of(status.run)
    zone = config.services[book.head.services[0]].zone
    titles = _titles(book)

    def when(moment: datetime | None) -> str:
        return waktu_detik(moment, zone) if moment else "-"

    steps = [{"id": s.id, "judul": titles.get(s.id, s.id), "fase": FASE[s.phase],
              "keadaan": KEADAAN_LANGKAH[s.state], "kode": s.state.value,
              "oleh": _name(config, s.actor) if s.actor else "-",
              "catatan": in_bahasa(s.note, zone) or "",
              "mulai": when(s.began), "selesai": when(s.finished_at),
              "percobaan": [{"ke": a.number, "keadaan": KEADAAN_LANGKAH[a.state],
                             "pesan": a.message or "", "keluaran": a.output_tail or ""}
                            for a in s.history],
              "tabel": s.output.get("tabel_4_3")}
             for s in status.steps]
    phase = next((FASE[s.phase] for s in status.steps if not s.state.settled), None)
    remaining = sum(s.expected.total_seconds() for sid, (p, s) in book.steps.items()
                    if p == "recovery" and s.expected is not None
                    and not next(x for x in status.steps if x.id == sid).state.settled)
    elapsed = None if status.declared_at is None else (
        (status.finished_at or now) - status.declared_at).total_seconds()
    services = [{
        "nama": config.services[r.service].name,
        "rto_target": durasi_tepat(r.rto_target) if r.rto_target else "-",
        "rto": durasi_tepat(r.rto_achieved) if r.rto_achieved is not None else None,
        "rto_tercapai": r.rto_met,
        "rpo_target": durasi_tepat(r.rpo_target) if r.rpo_target else "-",
        "rpo": durasi_tepat(r.rpo_achieved) if r.rpo_achieved is not None else None,
        "rpo_tercapai": r.rpo_met,
        "proyeksi": None if elapsed is None or r.rto_achieved is not None
        else durasi_tepat(elapsed + remaining),
        "proyeksi_lewat": r.rto_target is not None and elapsed is not None
        and elapsed + remaining > r.rto_target} for r in status.services]
    return {
        "id": status.run, "playbook": status.playbook, "versi": status.playbook_version,
        "sha256": status.playbook_sha256, "mode": MODE[status.mode],
        "keadaan": KEADAAN_PELAKSANAAN[status.state], "kode": status.state.value,
        "fase": phase if status.state is RunState.RUNNING else None,
        "dimulai": when(status.started_at), "oleh": _name(config, status.started_by),
        "bencana": when(status.disaster_at), "dinyatakan": when(status.declared_at),
        "berakhir": when(status.finished_at), "alasan": status.reason,
        "sejak_pernyataan": None if elapsed is None else durasi_tepat(elapsed),
        "langkah": steps, "layanan": services,
        "pelaksana_hidup": status.runner.alive if status.runner else None,
        "versi_halaman": "|".join(f"{s.id}:{s.state.value}" for s in status.steps)
        + f"|{status.state.value}"}


def steers(drp: Drp, run_id: int, person: Person) -> bool:
    """Whether the rules let this person abort or resume the run (the forms are shown to
    nobody else)."""
    return coordinator_refusal(drp.playbook_of(run_id), "aborting a run", person.roles,
                               person.eselon, person.services, Eselon.III) is None


def afterwards(drp: Drp, run_id: int, status: RunStatus, person: Person) -> dict[str, Any]:
    """A finished run's page after the fact: the Koordinator's evaluation form (only for
    whoever may write it) and "Mengetahui" of the filed Formulir G (only for a Penyedia
    Layanan, eselon II+, of its services), with the PDF's SHA-256 they acknowledge."""
    from spbe_monitor.drp.evaluation import newest
    from spbe_monitor.drp.review import acknowledgements, newest_pdf

    if status.state is RunState.RUNNING:
        return {}
    book = drp.playbook_of(run_id)
    evaluated = newest(drp.journal.entries(run_id))
    pdf = newest_pdf(drp, run_id)
    acked = [a for a in acknowledgements(drp, run_id) if pdf and a["sha256"] == pdf["sha256"]]
    provider = Role.PENYEDIA_LAYANAN in person.roles and at_least(person.eselon, Eselon.II) \
        and set(book.head.services) <= set(person.services)
    return {
        "evaluasi": evaluated.as_json() if evaluated else None,
        "boleh_evaluasi": coordinator_refusal(book, "evaluating", person.roles, person.eselon,
                                              person.services, None) is None,
        "berkas_g": None if pdf is None else {"sha256": pdf["sha256"]},
        "mengetahui": [{"nama": _name(drp.config, a["nip"]),
                        "waktu": waktu_detik(a["signed_at"], drp.config.services[
                            book.head.services[0]].zone)} for a in acked],
        "boleh_mengetahui": provider and pdf is not None and not acked,
    }

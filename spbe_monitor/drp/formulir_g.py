"""Formulir G — Laporan Evaluasi DRP, a pure function of the run's status, journal and
people. Its RTO/RPO figures are the status object itself, so the report and `spbe drp
status --json` cannot disagree."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from spbe_monitor.authority import BREAK_GLASS
from spbe_monitor.config.models import Person
from spbe_monitor.drp.evaluation import newest
from spbe_monitor.drp.keterangan import in_bahasa
from spbe_monitor.drp.status import Recovery, RunState, RunStatus, StepState
from spbe_monitor.regulation.disaster import Response
from spbe_monitor.reports.words import durasi, durasi_tepat, tanggal, waktu_detik
from spbe_monitor.reports.words import nip as nip_teks

STATUS = {StepState.PENDING: "belum dimulai", StepState.WAITING_APPROVAL: "menunggu persetujuan",
          StepState.RUNNING: "berjalan", StepState.DONE: "selesai", StepState.FAILED: "gagal",
          StepState.SKIPPED: "dilewati", StepState.IN_DOUBT: "diragukan (pelaksana terhenti)"}
RUN_STATUS = {RunState.RUNNING: "sedang berjalan", RunState.DONE: "selesai",
              RunState.FAILED: "gagal", RunState.ABORTED: "dihentikan"}
FASE = {"declaration": "deklarasi", "recovery": "pemulihan", "normalisation": "normalisasi"}
RIWAYAT = {"step.failed": "gagal", "step.in_doubt": "diragukan (pelaksana terhenti)",
           "step.retry": "diulang", "step.skip": "dilewati atas keputusan",
           "step.mark-done": "dinyatakan selesai atas keputusan",
           "runner.start": "pelaksana mulai", "runner.stop": "pelaksana berhenti",
           "analysis.reassessed": "penilaian ulang Tabel 4.3"}
RINCIAN = (("automated", "langkah otomatis"), ("manual", "langkah manual"),
           ("waiting_approval", "menunggu persetujuan"),
           ("waiting_decision", "menunggu keputusan Koordinator Pemulihan"),
           ("no_runner", "tanpa pelaksana aktif"), ("idle", "jeda antarlangkah"))


@dataclass(frozen=True)
class Setting:
    """What the form needs besides the run: people and services by id, the playbook's step
    titles, expected durations and needs, and who signs."""

    people: dict[str, Person]
    service_names: dict[str, str]
    zone: str  # the playbook's (first) service's zone: every time is shown in it
    titles: dict[str, str]
    expected: dict[str, float | None]
    needs: dict[str, tuple[str, ...]]
    allow_starter: bool
    coordinator: Person | None
    provider: Person | None  # the Penyedia Layanan who "Mengetahui"
    place: str | None = None  # where it is signed (reports.place)


def _seconds(a: datetime | None, b: datetime | None) -> float | None:
    return None if a is None or b is None else (b - a).total_seconds()


def critical_path(status: RunStatus, needs: dict[str, tuple[str, ...]]) -> list[str]:
    """From the last recovery step to finish, back along the dependency that ended last."""
    steps = {s.id: s for s in status.steps if s.phase == "recovery"}
    done = [s for s in steps.values() if s.finished_at]
    if not done:
        return []
    current = max(done, key=lambda s: s.finished_at or datetime.min).id
    path = [current]
    while True:
        deps = [steps[n] for n in needs.get(current, ()) if n in steps and steps[n].finished_at]
        if not deps:
            return list(reversed(path))
        current = max(deps, key=lambda s: s.finished_at or datetime.min).id
        path.append(current)


def build(status: RunStatus, journal: list[dict[str, Any]], setting: Setting
          ) -> dict[str, Any]:
    people, titles, expected = setting.people, setting.titles, setting.expected

    def at(moment: datetime | None) -> str | None:
        return waktu_detik(moment, setting.zone) if moment else None

    def who(nip: str | None) -> dict[str, Any] | None:
        if not nip:
            return None
        if nip.endswith(BREAK_GLASS):
            admin = nip.removeprefix("os:").removesuffix(BREAK_GLASS)
            return {"nip": "-", "nip_teks": "-",
                    "nama": f"Administrator {admin} (jalur darurat)",
                    "jabatan": None, "eselon": None, "darurat": True}
        p = people.get(nip)
        return {"nip": nip, "nip_teks": nip_teks(nip), "nama": p.name if p else nip,
                "jabatan": p.position if p else None,
                "eselon": p.eselon.value if p and p.eselon else None}

    timeline: list[dict[str, Any]] = []
    for s in status.steps:
        took = _seconds(s.began, s.finished_at)
        exp = expected.get(s.id)
        timeline.append({
            "id": s.id, "judul": titles.get(s.id, s.id), "fase": FASE[s.phase],
            "jenis": s.kind, "keadaan": s.state.value, "status": STATUS[s.state],
            "percobaan": s.attempts, "mulai": at(s.began), "selesai": at(s.finished_at),
            "durasi_detik": took, "durasi_teks": durasi_tepat(took) if took is not None else "-",
            "perkiraan_detik": exp, "oleh": who(s.actor),
            "catatan": in_bahasa(s.note, setting.zone),
            "tidak_diuji": s.state is StepState.SKIPPED and (s.note or "").startswith(
                "not exercised"),
            "melebihi_perkiraan_detik": (took - exp) if took is not None and exp is not None
            and took > exp else None,
        })
    approvals = []
    for e in journal:
        if e["event"] in ("step.approved", "analysis.reassessed"):
            detail = json.loads(e["detail"] or "{}")
            title = titles.get(e["step_id"], e["step_id"])
            approvals.append({"langkah": e["step_id"],
                              "judul": title if e["event"] == "step.approved"
                              else f"{title}: penilaian ulang",
                              "waktu": at(e["at"]),
                              "oleh": who(detail.get("by")), "catatan": detail.get("note"),
                              "daftar_periksa": [
                                  {"butir": item, "diperiksa": ok}
                                  for item, ok in detail.get("checklist", {}).items()],
                              "tabel_4_3": detail.get("tabel_4_3")})
    history = []
    for e in journal:
        if e["event"] in RIWAYAT:
            detail = json.loads(e["detail"] or "{}")
            said = detail.get("reason") or in_bahasa(detail.get("message") or detail.get(
                "why"), setting.zone)
            if e["event"] == "runner.start" and detail.get("dead_since"):
                said = "pelaksana sebelumnya tidak aktif sejak " + waktu_detik(
                    datetime.fromisoformat(detail["dead_since"]), setting.zone)
            history.append({"waktu": at(e["at"]),
                            "langkah": titles.get(e["step_id"], e["step_id"] or "-"),
                            "peristiwa": RIWAYAT[e["event"]], "oleh": who(detail.get("by")),
                            "keterangan": said})
    over = sorted((t for t in timeline if t["melebihi_perkiraan_detik"]),
                  key=lambda t: -t["melebihi_perkiraan_detik"])
    troubled = {e["step_id"] for e in journal if e["event"] in ("step.failed",
                                                                   "step.in_doubt")}
    failures = [t for t in timeline if t["id"] in troubled]
    operator = [t for t in timeline if t["keadaan"] == "skipped" and t["catatan"]
                and not t["tidak_diuji"]]
    not_exercised = [t for t in timeline if t["tidak_diuji"]]
    waiting = sorted((t for t in timeline if t["jenis"] in ("approval", "manual", "gate")
                      and t["durasi_detik"]), key=lambda t: -t["durasi_detik"])
    peluang: list[dict[str, Any]] = []
    for svc in status.services:
        if svc.rto_met is False:
            assert svc.rto_achieved is not None and svc.rto_target is not None
            late = svc.rto_achieved - svc.rto_target
            name = setting.service_names.get(svc.service, svc.service)
            peluang.append({"dampak_rto_detik": late,
                            "uraian": f"RTO layanan {name} terlewati {durasi_tepat(late)}; "
                                      "percepat langkah pada jalur kritis."})
    for t in over:
        peluang.append({"dampak_rto_detik": t["melebihi_perkiraan_detik"],
                        "uraian": f"Langkah \u201c{t['judul']}\u201d melebihi perkiraan "
                                  f"{durasi_tepat(t['melebihi_perkiraan_detik'])}; perbarui "
                                  "prosedur atau perkiraannya."})
    for t in [t for t in waiting if t["fase"] == FASE["recovery"]][:3]:  # in the RTO
        peluang.append({"dampak_rto_detik": t["durasi_detik"],
                        "uraian": f"Menunggu persetujuan/konfirmasi \u201c{t['judul']}\u201d "
                                  f"{t['durasi_teks']}; pastikan penanda tangan siaga."})
    for t in failures:
        peluang.append({"dampak_rto_detik": t["durasi_detik"] or 0,
                        "uraian": f"Langkah \u201c{t['judul']}\u201d {t['status']}: "
                                  f"{t['catatan'] or 'tanpa keterangan'}."})
    peluang.sort(key=lambda p: -(p["dampak_rto_detik"] or 0))
    evaluated = newest(journal)
    # the Tabel 4.3 verdict that stood when the run was declared (a drill may go on after
    # "Penanganan Gangguan" to rehearse; the form says so)
    standing = [verdict for e in journal if e["event"] in ("step.approved",
                                                            "analysis.reassessed")
                and (verdict := json.loads(e["detail"] or "{}").get("tabel_4_3"))
                and (status.declared_at is None or e["at"] <= status.declared_at)]
    declared_without = status.declared_at is not None and bool(standing) and \
        standing[-1].get("response") != Response.PEMULIHAN.value
    return {
        "formulir": "G", "judul": "Laporan Evaluasi DRP",
        "pelaksanaan": {
            "run": status.run, "playbook": status.playbook,
            "versi": status.playbook_version, "sha256": status.playbook_sha256,
            "jenis": "Uji DRP" if status.mode == "drill" else "Pelaksanaan DRP (bencana)",
            "dokumen_disetujui": status.document_approved,
            "deklarasi_oleh_pemulai_diizinkan": setting.allow_starter,
            "dimulai_oleh": who(status.started_by), "dimulai": at(status.started_at),
            "waktu_bencana": at(status.disaster_at), "deklarasi": at(status.declared_at),
            "selesai": at(status.finished_at), "status": RUN_STATUS[status.state],
            "alasan": status.reason,
            "deklarasi_tanpa_kriteria": standing[-1] if declared_without else None,
            "jalur_darurat": any(BREAK_GLASS in (x or "") for x in [
                status.started_by, *(st.actor for st in status.steps),
                *(json.loads(e["detail"] or "{}").get("by") for e in journal)]),
        },
        "status_run": status.as_json(),  # the figures, exactly as `drp status --json`
        "linimasa": timeline,
        "sementara": status.state is RunState.RUNNING,
        "capaian": [_achieved(svc, setting) for svc in status.services],
        "jalur_kritis": [titles.get(sid, sid) for sid in critical_path(status, setting.needs)],
        "melebihi_perkiraan": over,
        "kegagalan": failures,
        "dilewati_operator": operator,
        "tidak_diuji": not_exercised,
        "persetujuan": approvals,
        "riwayat": history,
        "penilaian": [a for a in approvals if a["daftar_periksa"] or a["tabel_4_3"]],
        "peluang_peningkatan": peluang,
        # the Koordinator Pemulihan's own words, printed beside what was measured
        "evaluasi": None if evaluated is None else {
            "penyebab": paragraphs(evaluated.causes),
            "kendala": paragraphs(evaluated.obstacles),
            "perbaikan": paragraphs(evaluated.improvements), "oleh": who(evaluated.by)},
        "tanda_tangan": {
            "koordinator_pemulihan": who(setting.coordinator.nip) if setting.coordinator
            else None,
            "mengetahui": who(setting.provider.nip) if setting.provider else None,
            "tanggal": ", ".join(x for x in (setting.place, tanggal(
                status.finished_at or max(e["at"] for e in journal), setting.zone)) if x)
            if journal or status.finished_at else None,
        },
    }


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.splitlines() if p.strip()]


def _achieved(svc: Recovery, setting: Setting) -> dict[str, Any]:
    """A service's RTO and RPO in words, exact to the second, with the RTO's breakdown."""
    def text(seconds: float | None) -> str:
        return "-" if seconds is None else durasi_tepat(seconds)

    def target(seconds: float | None) -> str:
        return "-" if seconds is None else durasi(seconds)

    split = svc.rto_breakdown
    return {
        "layanan": setting.service_names.get(svc.service, svc.service),
        "rto_target": target(svc.rto_target),
        "rto_capaian": text(svc.rto_achieved), "rto_tercapai": svc.rto_met,
        "rpo_target": target(svc.rpo_target),
        "rpo_capaian": text(svc.rpo_achieved), "rpo_tercapai": svc.rpo_met,
        "rincian_rto": [{"bagian": label, "durasi": text(split.get(key, 0.0))}
                        for key, label in RINCIAN if split.get(key)],
        "pulih_pada": waktu_detik(svc.recovered_at, setting.zone) if svc.recovered_at
        else None,
        "titik_pemulihan": waktu_detik(svc.recovery_point, setting.zone)
        if svc.recovery_point else None,
    }

"""Formulir G — Laporan Evaluasi DRP, a pure function of the run's status, journal and
people. Its RTO/RPO figures are the status object itself, so the report and `spbe drp
status --json` cannot disagree."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from spbe_monitor.authority import BREAK_GLASS
from spbe_monitor.config.models import Person
from spbe_monitor.reports.words import durasi


def _seconds(a: str | None, b: str | None) -> float | None:
    if not a or not b:
        return None
    return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds()


def critical_path(status: dict[str, Any], needs: dict[str, tuple[str, ...]]) -> list[str]:
    """From the last recovery step to finish, back along the dependency that ended last."""
    steps = {s["id"]: s for s in status["steps"] if s["phase"] == "recovery"}
    done = [s for s in steps.values() if s["finished_at"]]
    if not done:
        return []
    current = max(done, key=lambda s: s["finished_at"])["id"]
    path = [current]
    while True:
        deps = [steps[n] for n in needs.get(current, ()) if n in steps and steps[n]["finished_at"]]
        if not deps:
            return list(reversed(path))
        current = max(deps, key=lambda s: s["finished_at"])["id"]
        path.append(current)


def build(status: dict[str, Any], journal: list[dict[str, Any]], people: dict[str, Person],
          titles: dict[str, str], expected: dict[str, float | None],
          needs: dict[str, tuple[str, ...]], allow_starter: bool,
          coordinator: Person | None) -> dict[str, Any]:
    def who(nip: str | None) -> dict[str, Any] | None:
        if not nip:
            return None
        if nip.endswith(BREAK_GLASS):
            admin = nip.removeprefix("os:").removesuffix(BREAK_GLASS)
            return {"nip": "-", "nama": f"Administrator {admin} (jalur darurat)",
                    "jabatan": None, "eselon": None, "darurat": True}
        p = people.get(nip)
        return {"nip": nip, "nama": p.name if p else nip,
                "jabatan": p.position if p else None,
                "eselon": p.eselon.value if p and p.eselon else None}

    timeline = []
    for s in status["steps"]:
        begin = s["started_at"] or s["waiting_since"]
        took = _seconds(begin, s["finished_at"])
        exp = expected.get(s["id"])
        timeline.append({
            "id": s["id"], "judul": titles.get(s["id"], s["id"]), "fase": s["phase"],
            "jenis": s["kind"], "status": s["state"], "mulai": begin, "selesai": s["finished_at"],
            "durasi_detik": took, "durasi_teks": durasi(took) if took is not None else "-",
            "perkiraan_detik": exp, "oleh": who(s["actor"]), "catatan": s["note"],
            "melebihi_perkiraan_detik": (took - exp) if took is not None and exp is not None
            and took > exp else None,
        })
    approvals = []
    for e in journal:
        if e["event"] == "step.approved":
            detail = json.loads(e["detail"] or "{}")
            approvals.append({"langkah": e["step_id"], "waktu": e["at"].isoformat(),
                              "oleh": who(detail.get("by")), "catatan": detail.get("note"),
                              "daftar_periksa": [
                                  {"butir": item, "diperiksa": ok}
                                  for item, ok in detail.get("checklist", {}).items()],
                              "tabel_4_3": detail.get("tabel_4_3")})
    over = sorted((t for t in timeline if t["melebihi_perkiraan_detik"]),
                  key=lambda t: -t["melebihi_perkiraan_detik"])
    failures = [t for t in timeline if t["status"] in ("failed", "in_doubt")]
    operator = [t for t in timeline if t["status"] == "skipped" and t["catatan"]
                and not t["catatan"].startswith("not exercised")]
    not_exercised = [t for t in timeline if t["status"] == "skipped" and t["catatan"]
                     and t["catatan"].startswith("not exercised")]
    waiting = sorted((t for t in timeline if t["jenis"] in ("approval", "manual", "gate")
                      and t["durasi_detik"]), key=lambda t: -t["durasi_detik"])
    peluang: list[dict[str, Any]] = []
    for svc in status["services"]:
        if svc["rto_met"] is False:
            late = svc["rto_achieved_seconds"] - svc["rto_target_seconds"]
            peluang.append({"dampak_rto_detik": late,
                            "uraian": f"RTO layanan {svc['service']} terlewati {durasi(late)}; "
                                      "percepat langkah pada jalur kritis."})
    for t in over:
        peluang.append({"dampak_rto_detik": t["melebihi_perkiraan_detik"],
                        "uraian": f"Langkah \u201c{t['judul']}\u201d melebihi perkiraan "
                                  f"{durasi(t['melebihi_perkiraan_detik'])}; perbarui prosedur "
                                  "atau perkiraannya."})
    for t in waiting[:3]:
        if t["fase"] != "normalisation":
            peluang.append({"dampak_rto_detik": t["durasi_detik"],
                            "uraian": f"Menunggu persetujuan/konfirmasi \u201c{t['judul']}\u201d "
                                      f"{t['durasi_teks']}; pastikan penanda tangan siaga."})
    for t in failures:
        peluang.append({"dampak_rto_detik": t["durasi_detik"] or 0,
                        "uraian": f"Langkah \u201c{t['judul']}\u201d {t['status']}: "
                                  f"{t['catatan'] or 'tanpa keterangan'}."})
    peluang.sort(key=lambda p: -(p["dampak_rto_detik"] or 0))
    return {
        "formulir": "G", "judul": "Laporan Evaluasi DRP",
        "pelaksanaan": {
            "run": status["run"], "playbook": status["playbook"],
            "versi": status["playbook_version"], "sha256": status["playbook_sha256"],
            "jenis": "Uji DRP" if status["mode"] == "drill" else "Pelaksanaan DRP (bencana)",
            "dokumen_disetujui": status["document_approved"],
            "deklarasi_oleh_pemulai_diizinkan": allow_starter,
            "dimulai_oleh": who(status["started_by"]), "dimulai": status["started_at"],
            "waktu_bencana": status["disaster_at"], "deklarasi": status["declared_at"],
            "selesai": status["finished_at"], "status": status["state"],
            "jalur_darurat": any(BREAK_GLASS in (x or "") for x in [
                status["started_by"], *(st["actor"] for st in status["steps"]),
                *(json.loads(e["detail"] or "{}").get("by") for e in journal)]),
        },
        "status_run": status,  # the figures, exactly as `spbe drp status --json`
        "linimasa": timeline,
        "jalur_kritis": critical_path(status, needs),
        "melebihi_perkiraan": over,
        "kegagalan": failures,
        "dilewati_operator": operator,
        "tidak_diuji": not_exercised,
        "persetujuan": approvals,
        "penilaian": [a for a in approvals if a["daftar_periksa"] or a["tabel_4_3"]],
        "peluang_peningkatan": peluang,
        "tanda_tangan": {"koordinator_pemulihan": who(coordinator.nip) if coordinator
                         else None},
    }

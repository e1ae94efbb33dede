"""The DRP runner where real recoveries go wrong, on SQLite and PostgreSQL: a failed step
waits for the Koordinator's decision and the run finishes with its one declaration; RPO from
a recovery point printed without an offset, in the service's zone, exact to the second; a
recovery point after the disaster refused; a run carried on at a secondary site without the
primary's files; one runner per run (a lease), and a dead runner's lease taken over."""

from __future__ import annotations

import json
import re
import shutil
import signal
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from spbe_monitor.clock import SystemClock
from spbe_monitor.config.loader import load_config
from spbe_monitor.drp.facts import read_facts
from spbe_monitor.drp.lease import LEASE, RunnerLeases
from spbe_monitor.ledger import db
from spbe_monitor.ledger.store import Store
from tests.conftest import FakeClock
from tests.identities import totp_for
from tests.test_drp import (
    KABID,
    NORMALISATION,
    PENYEDIA,
    RECOVERY,
    STARTER,
    TEKNIS,
    declare,
    declared_drill,
    runner,
    sign_declaration,
    spbe,
    status,
    wait,
    write,
)


@pytest.fixture
def ledger_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every `spbe` the test starts uses this ledger (SQLite file or PostgreSQL)."""
    monkeypatch.setenv("SPBE_DATABASE_URL", database_url)
    return database_url


FRAGILE = RECOVERY.replace("""    needs: [start-secondary]
    timeout: 30s""", """    needs: [start-secondary, fragile]
    timeout: 30s""") + """\
  - id: fragile
    title: Pulihkan berkas konfigurasi
    kind: command
    run: ["test", "-f", "{dir}/fixed"]
"""


def test_a_failed_step_waits_for_a_decision_and_the_run_carries_on(tmp_path: Path,
                                                                   ledger_env: str):
    config, _ = write(tmp_path, FRAGILE, NORMALISATION)
    assert spbe(config, "drp", "approve-document", "portal", "--by", PENYEDIA, "--totp",
                totp_for(config, PENYEDIA)).returncode == 0
    declared_drill(config)
    declared_at = status(config, 1)["declared_at"]
    proc = runner(config, 1, tmp_path / "runner.log")
    try:
        wait(lambda: status(config, 1)["waiting_decision"] == ["fragile"], "the failure")
        st = status(config, 1)
        assert st["state"] == "running" and proc.poll() is None  # not an ending
        assert st["runner"]["alive"] and "pid" in st["runner"]["holder"]
        text = spbe(config, "drp", "status", "1").stdout
        assert "waiting for a Koordinator Pemulihan's decision on: fragile" in text
        assert re.search(r"declared\s+\d\d/\d\d/\d{4} \d\d\.\d\d\.\d\d WIB", text)  # zone
        assert "FAILED — waiting for a Koordinator Pemulihan's decision" in (
            tmp_path / "runner.log").read_text()
        r = spbe(config, "drp", "step", "1", "fragile", "skip", "--reason", "x", "--by",
                 "199002102015032005")
        assert r.returncode == 3  # the Pengelola Teknis does not decide
        (tmp_path / "fixed").write_text("ok")  # the cause fixed
        r = spbe(config, "drp", "step", "1", "fragile", "retry", "--reason",
                 "berkas dipulihkan dari cadangan", "--by", KABID)
        assert r.returncode == 0, r.stderr
        assert proc.wait(timeout=60) == 0, (tmp_path / "runner.log").read_text()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
    st = status(config, 1)
    assert st["state"] == "done" and st["declared_at"] == declared_at  # one declaration
    fragile = next(s for s in st["steps"] if s["id"] == "fragile")
    assert (fragile["state"], fragile["attempts"]) == ("done", 2)
    first, second = fragile["history"]  # each attempt keeps its own start, end and result
    assert (first["state"], second["state"]) == ("failed", "done")
    assert first["finished_at"] <= second["started_at"] == fragile["started_at"]
    assert first["message"].startswith("exit status") and first["number"] == 1
    [svc] = st["services"]
    assert svc["rto_achieved_seconds"] is not None and svc["rto_achieved_seconds"] > 0
    # an approved playbook's completed drill with the RTO measured counts for the year
    loaded = load_config(config)
    facts = read_facts(loaded, Store(db.make_engine(loaded.database_url)), SystemClock())
    assert facts.last_drill["portal"].rto_achieved == svc["rto_achieved_seconds"]


def test_on_failure_abort_still_ends_the_run(tmp_path: Path, ledger_env: str):
    config, _ = write(tmp_path, """\
  - id: fatal
    title: Tidak boleh gagal
    kind: command
    on_failure: abort
    run: ["false"]
""")
    declared_drill(config)
    assert runner(config, 1, tmp_path / "runner.log").wait(timeout=60) == 1
    assert status(config, 1)["state"] == "failed"


POINT = """\
  - id: replica-point
    title: Titik pemulihan replika
    kind: recovery_point
    service: portal
    run: ["echo", "{point}"]
"""


@pytest.mark.parametrize(("zone", "offset"), [("Asia/Jakarta", "+07:00"),
                                              ("Asia/Makassar", "+08:00"),
                                              ("Asia/Jayapura", "+09:00")])
def test_rpo_from_a_point_without_offset_is_read_in_the_service_zone(
        tmp_path: Path, ledger_env: str, zone: str, offset: str):
    config, _ = write(tmp_path, POINT.replace("{point}", "2026-11-29T06:30:15"))
    services = tmp_path / "services.yaml"
    services.write_text(services.read_text().replace("    rpo: 1d\n",
                                                     f"    rpo: 1d\n    timezone: {zone}\n"))
    r = spbe(config, "drp", "start", "portal", "--mode", "drill", "--by",
             "197203152000031002", "--detach", "--disaster-at", f"2026-11-29T08:00{offset}")
    assert r.returncode == 0, r.stderr
    sign_declaration(config, 1)
    assert declare(config, "1", "197001011995031001").returncode == 0
    assert runner(config, 1, tmp_path / "runner.log").wait(timeout=60) == 0
    [svc] = status(config, 1)["services"]
    assert svc["rpo_achieved_seconds"] == 5385  # 08:00:00 − 06:30:15, in the service's zone
    assert svc["recovery_point"] == f"2026-11-29T06:30:15{offset}"


def test_a_recovery_point_after_the_disaster_is_refused(tmp_path: Path, ledger_env: str):
    config, _ = write(tmp_path, POINT.replace("{point}", "2026-11-29T09:00:00+07:00"))
    r = spbe(config, "drp", "start", "portal", "--mode", "drill", "--by",
             "197203152000031002", "--detach", "--disaster-at", "2026-11-29T08:00+07:00")
    assert r.returncode == 0, r.stderr
    sign_declaration(config, 1)
    assert declare(config, "1", "197001011995031001").returncode == 0
    proc = runner(config, 1, tmp_path / "runner.log")
    try:
        wait(lambda: status(config, 1)["waiting_decision"] == ["replica-point"], "refusal")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    step = next(s for s in status(config, 1)["steps"] if s["id"] == "replica-point")
    assert step["state"] == "failed" and "after the disaster" in step["note"]
    assert status(config, 1)["services"][0]["rpo_achieved_seconds"] is None


def test_a_run_carries_on_at_the_secondary_site_without_the_primary_files(
        tmp_path: Path, ledger_env: str):
    site_a, site_b = tmp_path / "a", tmp_path / "b"
    config, _ = write(site_a, """\
  - id: promote
    title: Promosikan replika
    kind: command
    run: ["true"]
""")
    declared_drill(config)
    shutil.copytree(site_a, site_b)  # the config (and, for SQLite, the ledger) replicated
    shutil.rmtree(site_a)  # the primary site is gone
    config_b = site_b / "spbe.yaml"
    st = status(config_b, 1)
    # compared with this site's copy of the playbook, not the path it started from at A
    assert st["state"] == "running" and st["changed_since_start"] is False
    assert runner(config_b, 1, site_b / "runner.log").wait(timeout=60) == 0, (
        site_b / "runner.log").read_text()
    assert status(config_b, 1)["state"] == "done"


def approved_one_step(folder: Path) -> Path:
    """A one-step playbook (version 3) the Penyedia Layanan approved."""
    config, _ = write(folder, """\
  - id: promote
    title: Promosikan replika
    kind: command
    run: ["true"]
""")
    assert spbe(config, "drp", "approve-document", "portal", "--by", PENYEDIA,
                "--totp", totp_for(config, PENYEDIA)).returncode == 0
    return config


def test_a_disaster_runs_the_last_approved_text_with_no_playbook_at_hand(
        tmp_path: Path, ledger_env: str):
    """The Penyedia approved version 3; someone edited the file since. At the primary,
    `--approved` runs version 3 from the ledger; at a secondary site with only the
    configuration, the people and services, and the ledger's replica (no playbooks folder),
    the configuration loads with a warning and `--approved` starts the same text."""
    site_a, site_b = tmp_path / "a", tmp_path / "b"
    config = approved_one_step(site_a)
    book = site_a / "playbooks" / "portal.yaml"
    book.write_text(book.read_text().replace("version: 3", "version: 4"))
    r = spbe(config, "drp", "start", "portal", "--mode", "disaster", "--by", STARTER)
    assert r.returncode == 3 and "changed since approval" in r.stderr
    r = spbe(config, "drp", "start", "portal", "--mode", "disaster", "--approved", "--by",
             STARTER, "--detach")
    assert r.returncode == 0, r.stderr
    st = status(config, 1)
    assert st["playbook_version"] == "3" and st["changed_since_start"] is True
    assert spbe(config, "drp", "abort", "1", "--reason", "pindah ke situs sekunder",
                "--by", KABID).returncode == 0

    shutil.copytree(site_a, site_b, ignore=shutil.ignore_patterns("playbooks"))
    shutil.rmtree(site_a)  # the primary site is gone
    config_b = site_b / "spbe.yaml"
    checked = spbe(config_b, "check-config")
    assert checked.returncode == 0, checked.stderr
    assert "--approved" in checked.stdout + checked.stderr
    r = spbe(config_b, "drp", "start", "portal", "--mode", "disaster", "--by", STARTER)
    assert r.returncode == 2 and "no playbook 'portal'" in r.stderr
    r = spbe(config_b, "drp", "start", "portal", "--mode", "disaster", "--approved", "--by",
             STARTER, "--detach")
    assert r.returncode == 0, r.stderr
    st = status(config_b, 2)
    assert st["playbook_version"] == "3" and st["changed_since_start"] is None  # no file
    sign_declaration(config_b, 2)
    assert declare(config_b, "2", PENYEDIA).returncode == 0
    assert runner(config_b, 2, site_b / "runner.log").wait(timeout=60) == 0, (
        site_b / "runner.log").read_text()
    assert status(config_b, 2)["state"] == "done"


def formulir_g(config: Path, run: int, out: Path) -> dict[str, Any]:
    r = spbe(config, "drp", "report", str(run), "--format", "json", "--out", str(out))
    assert r.returncode == 0, r.stderr
    data: dict[str, Any] = json.loads(next(out.rglob(f"*{run}*.json")).read_text())
    return data


def test_tabel_4_3_is_reassessed_inside_an_open_run(tmp_path: Path, ledger_env: str):
    """A network failure (Penanganan Gangguan) grows into a disaster: the analysis is run
    again inside the same run, the first one kept; the declaration reads the newest. A
    drill declared after "Penanganan Gangguan" is flagged in Formulir G."""
    config = approved_one_step(tmp_path)
    assert spbe(config, "drp", "start", "portal", "--mode", "disaster", "--by", STARTER,
                "--detach").returncode == 0
    r = spbe(config, "drp", "reassess", "1", "--category", "kerusakan_fisik", "--by", KABID)
    assert r.returncode == 2 and "drp approve 1 analyse" in r.stderr  # the first comes first
    sign_declaration(config, 1, category="jaringan_intra_pemerintahan")
    r = declare(config, "1", PENYEDIA)
    assert r.returncode == 3 and "criteria are not met" in r.stderr
    r = spbe(config, "drp", "reassess", "1", "--category", "kerusakan_fisik",
             "--recovery-days", "5", "--note", "gedung terendam", "--by", TEKNIS)
    assert r.returncode == 3 and "eselon III" in r.stderr  # who may sign the analysis
    r = spbe(config, "drp", "reassess", "1", "--category", "kerusakan_fisik",
             "--recovery-days", "5", "--note", "gedung terendam", "--by", KABID)
    assert r.returncode == 0, r.stderr
    assert "Pemulihan Layanan" in r.stdout
    r = declare(config, "1", PENYEDIA)
    assert r.returncode == 0, r.stderr
    g = formulir_g(config, 1, tmp_path / "g1")
    analyses = [a for a in g["penilaian"] if a["tabel_4_3"]]
    assert [(a["judul"].endswith("penilaian ulang"), a["tabel_4_3"]["response"])
            for a in analyses] == [(False, "Penanganan Gangguan"),
                                   (True, "Pemulihan Layanan")]
    assert analyses[1]["catatan"] == "gedung terendam"
    assert g["pelaksanaan"]["deklarasi_tanpa_kriteria"] is None
    assert "penilaian ulang Tabel 4.3" in [h["peristiwa"] for h in g["riwayat"]]
    assert spbe(config, "drp", "abort", "1", "--reason", "selesai diuji", "--by",
                KABID).returncode == 0

    # a drill may rehearse the declaration after "Penanganan Gangguan": the form says so
    assert spbe(config, "drp", "start", "portal", "--mode", "drill", "--by", STARTER,
                "--detach").returncode == 0
    sign_declaration(config, 2, category="jaringan_intra_pemerintahan")
    assert declare(config, "2", PENYEDIA).returncode == 0
    flagged = formulir_g(config, 2, tmp_path / "g2")["pelaksanaan"]["deklarasi_tanpa_kriteria"]
    assert flagged["response"] == "Penanganan Gangguan"


def test_one_runner_per_run(tmp_path: Path, ledger_env: str):
    config, _ = write(tmp_path, """\
  - id: confirm
    title: Konfirmasi manual
    kind: manual
""")
    declared_drill(config)
    first = runner(config, 1, tmp_path / "first.log")
    try:
        wait(lambda: status(config, 1)["runner"]["alive"], "the first runner's lease")
        second = spbe(config, "drp", "resume", "1")
        assert second.returncode == 3 and "driven by another runner" in second.stderr
        assert first.poll() is None
        assert spbe(config, "drp", "approve", "1", "confirm", "--by", KABID).returncode == 0
        assert first.wait(timeout=60) == 0
    finally:
        if first.poll() is None:
            first.send_signal(signal.SIGKILL)
    assert status(config, 1)["state"] == "done"
    entries = [s for s in status(config, 1)["steps"] if s["state"] == "in_doubt"]
    assert entries == []  # the refused second runner doubted nothing


def test_a_dead_runners_lease_lapses_and_is_taken_over(store: Store):
    from spbe_monitor.ledger.tables import drp_runs

    clock = FakeClock()
    with store.engine.begin() as conn:  # a run row for the lease to hang on
        conn.execute(drp_runs.insert().values(
            id=1, playbook_id="p", playbook_version="1", playbook_sha256="0" * 64,
            playbook_path="p.yaml", document_approved=False, mode="drill", started_by="x",
            started_at=clock.now(), disaster_at=clock.now(), state="running"))
    leases = RunnerLeases(store.engine)
    assert leases.take(1, "site-a pid 10", clock.now()) is None
    clock.advance(5)
    assert leases.renew(1, "site-a pid 10", clock.now())
    clock.advance(LEASE.total_seconds() - 1)
    other = leases.take(1, "site-b pid 20", clock.now())
    assert other is not None and other.holder == "site-a pid 10"  # still alive: refused
    clock.advance(1)  # no renewal for LEASE: the first runner is dead
    assert leases.take(1, "site-b pid 20", clock.now()) is None
    assert not leases.renew(1, "site-a pid 10", clock.now() + timedelta(seconds=1))
    taken = leases.current(1)
    assert taken is not None and taken.holder == "site-b pid 20"
    leases.release(1, "site-a pid 10")  # not the holder: nothing happens
    assert leases.current(1) is not None
    leases.release(1, "site-b pid 20")
    assert leases.current(1) is None


def test_mark_done_of_wait_healthy_records_when_the_service_recovered(tmp_path: Path,
                                                                      ledger_env: str):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    config, _ = write(tmp_path, """\
  - id: verify
    title: Verifikasi di situs sekunder
    kind: wait_healthy
    services: [portal]
    timeout: 1s
    poll: 200ms
""")  # nothing serves the secondary site: the check fails
    declared_drill(config)
    proc = runner(config, 1, tmp_path / "runner.log")
    try:
        wait(lambda: status(config, 1)["waiting_decision"] == ["verify"], "the failure")
        mark = ["drp", "step", "1", "verify", "mark-done", "--reason",
                "aplikasi diperiksa manual di situs sekunder", "--by", KABID]
        r = spbe(config, *mark)
        assert r.returncode == 2 and "give --recovered-at" in r.stderr
        declared = datetime.fromisoformat(status(config, 1)["declared_at"])
        r = spbe(config, *mark, "--recovered-at", "2020-01-01T00:00")
        assert r.returncode == 2 and "before the declaration" in r.stderr
        seen = datetime.now(ZoneInfo("Asia/Jakarta")) - timedelta(seconds=1)  # WIB
        assert seen > declared
        r = spbe(config, *mark, "--recovered-at", seen.strftime("%Y-%m-%dT%H:%M:%S.%f"))
        assert r.returncode == 0, r.stderr  # a WIB time without offset
        assert proc.wait(timeout=60) == 0, (tmp_path / "runner.log").read_text()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
    [svc] = status(config, 1)["services"]
    assert svc["rto_achieved_seconds"] == pytest.approx((seen - declared).total_seconds(),
                                                        abs=1e-6)


ENGLISH = ("done", "failed", "pending", "skipped", "running", "in_doubt", "exit status",
           "probe(s)", "recoverable", "waiting_approval", "+00:00")
HEADINGS = ("LAPORAN EVALUASI DRP", "A. Capaian Pemulihan", "B. Linimasa Pelaksanaan",
            "C. Penyebab Tidak Tercapainya Target", "D. Persetujuan", "E. Peluang Peningkatan",
            "Mengetahui", "Koordinator Pemulihan", "rantai audit entri", "Nomor: G/portal/run-1")


def test_formulir_g_reads_as_a_government_document(tmp_path: Path, ledger_env: str):
    from tests.pdfpages import pages_drawn_past_right_margin, text

    config, _ = write(tmp_path, FRAGILE, NORMALISATION)
    (tmp_path / "fixed").write_text("ok")
    declared_drill(config)  # declared, recovery not begun: the run is under way
    r = spbe(config, "drp", "report", "1", "--format", "pdf", "--out",
             str(tmp_path / "sementara"))
    assert r.returncode == 0, r.stderr
    assert runner(config, 1, tmp_path / "runner.log").wait(timeout=180) == 0  # any load
    [partial] = (tmp_path / "sementara").glob("*/*.pdf")
    pages = text(partial).split("\f")
    assert all("SEMENTARA" in page for page in pages if page.strip())  # every page
    r = spbe(config, "drp", "report", "1", "--format", "pdf", "--out", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    [pdf] = (tmp_path / "out").glob("*/*.pdf")
    said = text(pdf)
    for heading in HEADINGS:
        assert heading in said, heading
    for word in ENGLISH:
        assert word not in said, word
    assert "WIB" in said and "Portal Layanan Publik" in said and "SEMENTARA" not in said
    assert pages_drawn_past_right_margin(pdf) == []


BREAKDOWN = RECOVERY.replace("""    needs: [start-secondary]
    timeout: 30s""", """    needs: [start-secondary, fragile, slow]
    timeout: 30s""") + """\
  - id: fragile
    title: Pulihkan berkas konfigurasi
    kind: command
    run: ["test", "-f", "{dir}/fixed"]
  - id: slow
    title: Salin cadangan besar
    kind: command
    run: ["sleep", "60"]
"""


def test_the_rto_breakdown_adds_up_across_a_failure_a_crash_and_a_dead_runner(
        tmp_path: Path, ledger_env: str):
    import os
    import time

    config, _ = write(tmp_path, BREAKDOWN, NORMALISATION)
    declared_drill(config)
    first = runner(config, 1, tmp_path / "first.log")
    wait(lambda: status(config, 1)["waiting_decision"] == ["fragile"] and any(
        s["id"] == "slow" and s["state"] == "running" for s in status(config, 1)["steps"]),
        "a failure while the slow step runs")
    os.kill(first.pid, signal.SIGKILL)  # the runner dies mid-step (the site it started lives)
    first.wait(timeout=10)
    time.sleep(10)  # … and nobody notices for 10 s (wall time: the runner is a process)
    assert status(config, 1)["runner"]["alive"] is False
    second = runner(config, 1, tmp_path / "second.log")
    try:
        wait(lambda: any(s["id"] == "slow" and s["state"] == "in_doubt"
                         for s in status(config, 1)["steps"]), "the slow step in doubt")
        assert spbe(config, "drp", "step", "1", "slow", "mark-done", "--reason",
                    "salinan diperiksa lengkap", "--by", KABID).returncode == 0
        (tmp_path / "fixed").write_text("ok")
        assert spbe(config, "drp", "step", "1", "fragile", "retry", "--reason",
                    "berkas dipulihkan", "--by", KABID).returncode == 0
        assert second.wait(timeout=60) == 0, (tmp_path / "second.log").read_text()
    finally:
        if second.poll() is None:
            second.send_signal(signal.SIGKILL)
    [svc] = status(config, 1)["services"]
    parts = svc["rto_breakdown_seconds"]
    assert abs(sum(parts.values()) - svc["rto_achieved_seconds"]) < 1
    # the 10 s without a runner overlap the failed step's wait for a decision, which the
    # breakdown names first; the rest of the dead runner's silence is its own part
    assert parts["waiting_decision"] >= 9 and parts["no_runner"] > 0
    assert parts["automated"] > 0


def test_a_run_aborted_while_nobody_drives_it_is_still_announced(tmp_path: Path):
    """Issue 30, item 7: the runner tells the war room of an abort it sees; a run aborted
    while no runner drove it (the daemon down, a runner killed) ended in silence. Now the
    abort itself tells the playbook's webhooks, and says what it could not tell."""
    from tests.pg import free_port
    from tests.receiver import Receiver

    peer = Receiver()
    dead = f"http://127.0.0.1:{free_port()}/closed"
    config, _ = write(tmp_path, RECOVERY, head=f"webhooks: [{peer.url}/war-room, {dead}]\n")
    assert spbe(config, "drp", "start", "portal", "--mode", "drill", "--by", STARTER,
                "--detach").returncode == 0
    r = spbe(config, "drp", "abort", "1", "--reason", "latihan ditunda: listrik padam",
             "--by", KABID)
    assert r.returncode == 0 and "run 1 aborted" in r.stdout, r.stderr
    [(path, news)] = peer.received
    assert path == "/war-room" and (news["event"], news["run"]) == ("run.aborted", 1)
    assert news["konsol"].endswith("/konsol/drp/pelaksanaan/1") and news["mode"] == "drill"
    assert f"warning: not told: webhook {dead}" in r.stderr
    assert status(config, 1)["state"] == "aborted"
    peer.server.shutdown()

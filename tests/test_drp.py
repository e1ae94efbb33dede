"""The DRP runner end to end, as people use it from several terminals: a drill with command,
recovery_point and wait_healthy steps against a loopback "secondary site", Tabel 4.4's gates
enforced by eselon, role and person, RTO counted from the declaration, kill -9 and resume."""

import email
import email.policy
import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import acting
from tests.conftest import SPBE
from tests.identities import totp_for
from tests.pg import free_port
from tests.service_user import PYTHON as STEP_PYTHON
from tests.service_user import hand_over
from tests.timetravel import local_now

pytestmark = pytest.mark.date_sweep  # tests/timetravel.py

PENYEDIA = "197001011995031001"  # eselon II, Penyedia Layanan of portal
STARTER = "197203152000031002"  # eselon II, Penyedia Layanan of portal too; starts the run
KABID = "198004212005011004"  # eselon III, Koordinator Pemulihan
TEKNIS = "199002102015032005"  # no eselon


def people() -> str:
    return f"""\
people:
  - {{nip: "{PENYEDIA}", name: Kepala Dinas A, position: Kepala Dinas, eselon: II,
     roles: [penyedia_layanan], services: [portal]}}
  - {{nip: "{STARTER}", name: Kepala Dinas B, position: Kepala Dinas, eselon: II,
     roles: [penyedia_layanan, koordinator_pemulihan], services: [portal]}}
  - {{nip: "{KABID}", name: Kabid Aptika, position: Kepala Bidang, eselon: III,
     roles: [koordinator_pemulihan], services: [portal]}}
  - {{nip: "{TEKNIS}", name: Staf Teknis, position: Pranata Komputer,
     roles: [pengelola_teknis], services: [portal]}}
"""


def write(folder: Path, recovery: str, normalisation: str = "", rto: str = "1h",
          head: str = "") -> tuple[Path, int]:
    site = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    hand_over(folder)  # the steps run as the service user, never root
    (folder / "probes").mkdir()
    (folder / "playbooks").mkdir()
    (folder / "www").mkdir()
    (folder / "www" / "index.html").write_text("situs sekunder")
    (folder / "probes" / "portal.yaml").write_text(f"""\
probes:
  - id: portal-secondary
    kind: http
    url: http://127.0.0.1:{site}/
    labels: {{site: secondary}}
""")
    (folder / "spbe.yaml").write_text(f"""\
database: sqlite:///ledger.db
probes: probes
playbooks: playbooks
server: {{listen: 127.0.0.1, port: {free_port()}}}
""")
    # a Kritis service's recovery must end with wait_healthy: playbooks of tests that do not
    # wait for the secondary site recover an Esensial one
    klass = "" if "wait_healthy" in recovery else "classification: esensial\n    "
    (folder / "services.yaml").write_text(f"""\
services:
  - id: portal
    name: Portal Layanan Publik
    provider: Diskominfo
    technical_team: Aptika
    nature: publik
    application_basis: umum
    user_scope: nasional
    {klass}availability_target: 99
    rto: {rto}
    rpo: 1d
    drp_playbook: portal
    components: [portal-secondary]
""")
    (folder / "people.yaml").write_text(people())
    close = """\
  - id: close
    title: Tutup uji
    kind: command
    run: ["true"]
"""
    steps = {"site": site, "dir": folder, "py": STEP_PYTHON}
    (folder / "playbooks" / "portal.yaml").write_text(
        "id: portal\nversion: 3\nservices: [portal]\n" + head + "declaration:\n"
        "  assess-facility: {checklist: [Catu daya, Suhu ruang]}\n"
        "recovery:\n" + recovery.format(**steps)
        + "normalisation:\n" + (normalisation or close).format(**steps))
    return folder / "spbe.yaml", site


RECOVERY = """\
  - id: step-a
    title: Langkah A
    kind: command
    run: ["sh", "-c", "echo x >> {dir}/a.count"]
  - id: start-secondary
    title: Jalankan situs sekunder
    kind: command
    shell: true
    run: >-
      {py} -m http.server {site} --bind 127.0.0.1 --directory {dir}/www
      >/dev/null 2>&1 & echo $! > {dir}/site.pid
    needs: [step-a]
  - id: replica-point
    title: Titik pemulihan replika
    kind: recovery_point
    service: portal
    run: ["{py}", "-c", "import datetime as d; print((d.datetime.now(d.UTC)
      - d.timedelta(hours=2)).isoformat())"]
  - id: verify
    title: Verifikasi di situs sekunder
    kind: wait_healthy
    services: [portal]
    needs: [start-secondary]
    timeout: 30s
    poll: 200ms
"""
NORMALISATION = """\
  - id: stop-secondary
    title: Hentikan situs sekunder
    kind: command
    shell: true
    run: "kill $(cat {dir}/site.pid)"
  - id: report-to-official
    title: Laporkan ke pejabat
    kind: manual
    mode: disaster_only
"""


def spbe(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    rest, token = acting(config, args)
    env = {k: v for k, v in os.environ.items() if k != "SPBE_TOKEN"}
    if token:
        env["SPBE_TOKEN"] = token
    return subprocess.run([*SPBE, "--config", str(config), *rest], capture_output=True,
                          text=True, timeout=120, env=env)


def declare(config: Path, run: int | str, nip: str, *extra: str
            ) -> subprocess.CompletedProcess[str]:
    """`nip` signs the declaration with their token and a fresh TOTP code (eselon II)."""
    return spbe(config, "drp", "approve", str(run), "declare", "--by", nip, "--totp",
                totp_for(config, nip), *extra)


def status(config: Path, run: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(spbe(config, "drp", "status", str(run), "--json").stdout)
    return data


def wait(condition: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def runner(config: Path, run: int, log: Path) -> subprocess.Popen[bytes]:
    from tests.daemon import STARTED

    with open(log, "ab") as out:
        proc = subprocess.Popen([*SPBE, "--config", str(config), "drp", "resume", str(run)],
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    STARTED.append(proc)  # a test that fails midway leaves no runner waiting for ever
    return proc


def declared_drill(config: Path) -> None:
    """Run 1: a drill started by STARTER, assessed and analysed by KABID, declared by
    PENYEDIA."""
    assert spbe(config, "drp", "start", "portal", "--mode", "drill", "--by", STARTER,
                "--detach").returncode == 0
    sign_declaration(config, 1)
    assert declare(config, "1", PENYEDIA).returncode == 0


def sign_declaration(config: Path, run: int, category: str = "kerusakan_fisik") -> None:
    for step in ("assess-facility", "assess-devices"):
        r = spbe(config, "drp", "approve", str(run), step, "--by", KABID, "--note", "diperiksa",
                 *(["--all-checked"] if step == "assess-facility" else []))
        assert r.returncode == 0, r.stderr
    r = spbe(config, "drp", "approve", str(run), "analyse", "--by", KABID)
    assert r.returncode == 2 and "Tabel 4.3" in r.stderr
    r = spbe(config, "drp", "approve", str(run), "analyse", "--by", KABID, "--category",
             category, "--recovery-days", "5")
    assert r.returncode == 0, r.stderr


@pytest.mark.slow
def test_drill_end_to_end_with_gates_and_rto_from_declaration(tmp_path):
    config, _site = write(tmp_path, RECOVERY, NORMALISATION)
    plan = spbe(config, "drp", "plan", "portal")
    assert plan.returncode == 0 and "NOT approved" in plan.stdout
    assert "report-to-official [skipped in a drill]" in plan.stdout
    r = spbe(config, "drp", "start", "portal", "--mode", "drill", "--by", STARTER, "--detach")
    assert r.returncode == 0, r.stderr
    run = 1
    r = spbe(config, "drp", "approve", str(run), "analyse", "--by", KABID)
    assert r.returncode == 2 and "not open for approval" in r.stderr  # Tabel 4.4 order
    r = spbe(config, "drp", "approve", str(run), "assess-facility", "--by", TEKNIS)
    assert r.returncode == 3 and "eselon III" in r.stderr
    proc = runner(config, run, tmp_path / "runner.log")
    sign_declaration(config, run)
    r = spbe(config, "drp", "approve", str(run), "declare", "--by", KABID)
    assert r.returncode == 3 and "eselon II" in r.stderr
    r = declare(config, str(run), STARTER)
    assert r.returncode == 3 and "started the run" in r.stderr
    before_declaration = status(config, run)
    assert all(s["state"] == "pending" for s in before_declaration["steps"]
               if s["phase"] == "recovery")
    r = declare(config, str(run), PENYEDIA, "--note", "banjir")
    assert r.returncode == 0, r.stderr
    assert proc.wait(timeout=90) == 0, (tmp_path / "runner.log").read_text()
    data = status(config, run)
    assert data["state"] == "done" and data["declared_at"] is not None
    states = {s["id"]: s["state"] for s in data["steps"]}
    assert states["report-to-official"] == "skipped" and states["verify"] == "done"
    [svc] = data["services"]
    declared = data["declared_at"]
    verify = next(s for s in data["steps"] if s["id"] == "verify")
    from datetime import datetime
    expected = (datetime.fromisoformat(verify["output"]["healthy_at"])
                - datetime.fromisoformat(declared)).total_seconds()
    assert svc["rto_achieved_seconds"] == pytest.approx(expected)
    assert 0 < svc["rto_achieved_seconds"] < 60 and svc["rto_met"] is True
    assert svc["rpo_achieved_seconds"] == pytest.approx(7200, abs=120)
    assert svc["rpo_met"] is True
    assert (tmp_path / "a.count").read_text() == "x\n"
    assert spbe(config, "audit", "verify").returncode == 0


@pytest.mark.slow
def test_kill_9_during_a_command_step_then_resume(tmp_path):
    recovery = """\
  - id: step-a
    title: Langkah A
    kind: command
    run: ["sh", "-c", "echo x >> {dir}/a.count"]
  - id: step-b
    title: Langkah lama
    kind: command
    run: ["sh", "-c", "echo 'WAL diterapkan sampai 0/3000060'; echo x >> {dir}/b.count; sleep 30"]
    needs: [step-a]
    timeout: 2m
  - id: step-c
    title: Langkah C
    kind: command
    run: ["sh", "-c", "echo x >> {dir}/c.count"]
    needs: [step-b]
"""
    config, _ = write(tmp_path, recovery)
    declared_drill(config)
    proc = runner(config, 1, tmp_path / "runner.log")
    wait(lambda: (tmp_path / "b.count").exists(), "step-b started")

    def step_b() -> dict[str, Any]:
        return next(s for s in status(config, 1)["steps"] if s["id"] == "step-b")

    # what the step prints is in the ledger while it runs, not only when it ends
    wait(lambda: "WAL diterapkan" in (step_b()["history"][-1]["output_tail"] or ""),
         "step-b's output so far persisted")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert next(s for s in status(config, 1)["steps"] if s["id"] == "step-b")["state"] == \
        "running"
    proc = runner(config, 1, tmp_path / "runner2.log")
    wait(lambda: next(s for s in status(config, 1)["steps"] if s["id"] == "step-b")[
        "state"] == "in_doubt", "step-b in doubt")
    time.sleep(2)  # the runner keeps waiting for an operator: nothing moves on its own
    steps = {s["id"]: s["state"] for s in status(config, 1)["steps"]}
    assert steps["step-b"] == "in_doubt" and steps["step-c"] == "pending"
    [attempt] = step_b()["history"]  # the in-doubt attempt keeps what it had printed
    assert attempt["state"] == "in_doubt" and attempt["finished_at"] is not None
    assert "WAL diterapkan sampai 0/3000060" in attempt["output_tail"]
    assert proc.poll() is None
    # meanwhile the daemon shows the live run: its phase and the RTO clock since declaration
    from spbe_monitor.clock import SystemClock
    from spbe_monitor.config.loader import load_config
    from spbe_monitor.drp.facts import read_facts
    from spbe_monitor.ledger import db
    from spbe_monitor.ledger.store import Store

    loaded = load_config(config)
    [live] = read_facts(loaded, Store(db.make_engine(loaded.database_url)), SystemClock()).live
    assert (live.phase, live.service, live.rto_target) == ("recovery", "portal", 3600.0)
    assert live.elapsed is not None and live.elapsed > 0
    r = spbe(config, "drp", "step", "1", "step-b", "mark-done", "--reason",
             "diverifikasi: replika sudah aktif", "--by", KABID)
    assert r.returncode == 0, r.stderr
    assert proc.wait(timeout=60) == 0, (tmp_path / "runner2.log").read_text()
    for name in ("a", "b", "c"):  # side-effect counters: nothing ran twice
        assert (tmp_path / f"{name}.count").read_text() == "x\n", name
    assert status(config, 1)["state"] == "done"


def test_disaster_run_needs_an_approved_unchanged_playbook(tmp_path):
    config, _ = write(tmp_path, """\
  - id: only
    title: Satu langkah
    kind: command
    run: ["true"]
""")
    r = spbe(config, "drp", "start", "portal", "--mode", "disaster", "--by", STARTER)
    assert r.returncode == 3 and "unapproved or was changed" in r.stderr
    r = spbe(config, "drp", "approve-document", "portal", "--by", KABID)
    assert r.returncode == 3 and "eselon II" in r.stderr
    assert spbe(config, "drp", "approve-document", "portal", "--by", PENYEDIA,
                "--totp", totp_for(config, PENYEDIA)).returncode == 0
    r = spbe(config, "drp", "start", "portal", "--mode", "disaster", "--by", STARTER,
             "--detach")
    assert r.returncode == 0, r.stderr
    book = tmp_path / "playbooks" / "portal.yaml"
    book.write_text(book.read_text().replace("version: 3", "version: 4"))
    r = spbe(config, "drp", "start", "portal", "--mode", "disaster", "--by", STARTER)
    assert r.returncode == 3 and "changed since approval" in r.stderr
    st = status(config, 1)  # a started run carries on with the text it started with
    assert st["changed_since_start"] is True and st["playbook_version"] == "3"
    r = spbe(config, "drp", "start", "portal", "--mode", "drill", "--by", STARTER, "--detach")
    assert r.returncode == 3 and "run 1 of portal is still active" in r.stderr  # one at a time
    # run 1 is a disaster run of the approved version: an analysis that finds no disaster
    # (Tabel 4.3: a network failure is Penanganan Gangguan) blocks the declaration
    book.write_text(book.read_text().replace("version: 4", "version: 3"))
    sign_declaration(config, 1, category="jaringan_intra_pemerintahan")
    r = declare(config, "1", PENYEDIA)
    assert r.returncode == 3 and "criteria are not met" in r.stderr
    analysed = next(s for s in status(config, 1)["steps"] if s["id"] == "analyse")
    assert analysed["output"]["tabel_4_3"]["row"] == 6
    assert spbe(config, "drp", "abort", "1", "--reason", "bukan bencana (Tabel 4.3)",
                "--by", KABID).returncode == 0
    book.write_text(book.read_text().replace("version: 3", "version: 5"))
    r = spbe(config, "drp", "start", "portal", "--mode", "drill", "--by", STARTER, "--detach")
    assert r.returncode == 0, r.stderr  # a drill of a draft is allowed


@pytest.mark.parametrize("edit, error", [
    (("    run: [\"true\"]\n", "    run: [\"true\"]\n    needs: [other]\n  - id: other\n"
      "    title: Lain\n    kind: command\n    run: [\"true\"]\n    needs: [only]\n"),
     "cycle in needs"),
    (("kind: command", "kind: teleport"), "unknown step kind 'teleport'"),
    (("declaration:\n", "declaration:\n  declare: {min_eselon: III}\n"),
     "cannot weaken the gate"),
    (("services: [portal]", "services: [portal, nope]"), "unknown service 'nope'"),
    (("    run: [\"true\"]\n", "    run: [\"true\"]\n  - id: verify\n    title: Verifikasi\n"
      "    kind: wait_healthy\n    services: [portal]\n    site: tersier\n"),
     "'portal' has no probe labelled site: tersier"),  # caught before anyone signs
    (("    run: [\"true\"]\n", "    run: [\"true\"]\n    colour: blue\n"),
     "unknown key 'colour'"),
])
def test_bad_playbooks_are_reported_at_file_and_line(tmp_path, edit, error):
    config, _ = write(tmp_path, """\
  - id: only
    title: Satu langkah
    kind: command
    run: ["true"]
""")
    book = tmp_path / "playbooks" / "portal.yaml"
    text = book.read_text()
    assert edit[0] in text
    book.write_text(text.replace(edit[0], edit[1], 1))
    for command in (["drp", "plan", "portal"], ["check-config", "--offline"]):
        r = spbe(config, *command)
        assert r.returncode == 2, command
        line = next(line for line in r.stderr.splitlines() if error in line)
        assert line.startswith(f"{book}:")


@pytest.mark.slow
def test_formulir_g_equals_status_and_the_pdf_renders(tmp_path):
    recovery = """\
  - id: slow
    title: Langkah yang lambat
    kind: command
    run: ["sleep", "1.2"]
    expected: 1s
  - id: replica-point
    title: Titik pemulihan
    kind: recovery_point
    service: portal
    run: ["{py}", "-c", "import datetime as d; print((d.datetime.now(d.UTC)
      - d.timedelta(days=3)).isoformat())"]
"""
    config, _ = write(tmp_path, recovery)
    declared_drill(config)
    proc = runner(config, 1, tmp_path / "runner.log")
    assert proc.wait(timeout=60) == 0, (tmp_path / "runner.log").read_text()
    r = spbe(config, "drp", "report", "1", "--out", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    data = json.loads(next((tmp_path / "out").glob("*/formulir-g_portal_run-1.json")).read_text())
    assert data["status_run"] == status(config, 1)
    [svc] = data["status_run"]["services"]
    assert svc["rpo_met"] is False and svc["rpo_achieved_seconds"] > 2 * 86400  # 3 days > 1d
    assert svc["rto_achieved_seconds"] is None  # no wait_healthy: recovery not verified
    assert [t["id"] for t in data["melebihi_perkiraan"]] == ["slow"]
    assert {a["langkah"] for a in data["persetujuan"]} == {
        "assess-facility", "assess-devices", "analyse", "declare"}
    declare = next(a for a in data["persetujuan"] if a["langkah"] == "declare")
    assert declare["oleh"]["nip"] == PENYEDIA and declare["oleh"]["eselon"] == "II"
    assert data["pelaksanaan"]["dokumen_disetujui"] is False
    # the daemon's view of DRP: the last drill per service and what it achieved
    from spbe_monitor.clock import SystemClock
    from spbe_monitor.config.loader import load_config
    from spbe_monitor.drp.facts import read_facts
    from spbe_monitor.ledger import db
    from spbe_monitor.ledger.store import Store

    loaded = load_config(config)
    facts = read_facts(loaded, Store(db.make_engine(loaded.database_url)), SystemClock())
    # a drill of a draft playbook that never measured the RTO proves no recovery
    assert facts.last_drill == {} and facts.live == []
    pdf = next((tmp_path / "out").glob("*/formulir-g_portal_run-1.pdf"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    for heading in ("Laporan Evaluasi DRP", "RTO", "RPO", "Linimasa", "Persetujuan",
                    "Peluang Peningkatan", "Koordinator Pemulihan", "BELUM DISETUJUI"):
        assert heading.lower() in text.lower(), heading


def test_semester_evaluation_chapter_d_lists_the_drill(tmp_path):
    config, _ = write(tmp_path, """\
  - id: point
    title: Titik pemulihan
    kind: recovery_point
    service: portal
    run: ["{py}", "-c", "import datetime as d; print((d.datetime.now(d.UTC)
      - d.timedelta(hours=1)).isoformat())"]
""")
    declared_drill(config)
    assert runner(config, 1, tmp_path / "runner.log").wait(timeout=60) == 0
    now = local_now()  # the semester of the service's zone (WIB)
    semester = f"{now.year}-{1 if now.month <= 6 else 2}"
    r = spbe(config, "report", "evaluasi", "--semester", semester, "--partial", "--format",
             "json", "--out", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    data = json.loads(next((tmp_path / "out").glob("*/evaluasi_*.json")).read_text())
    [row] = data["bab_d"]["pelaksanaan"]
    assert row["layanan"] == "Portal Layanan Publik" and row["jenis"] == "Uji DRP"
    assert row["rpo"] == "tercapai" and row["rto"] == "-"  # no wait_healthy in this drill


@pytest.mark.slow
def test_notify_http_and_ssh_steps_against_real_peers(tmp_path):
    from tests.sshd import SSHD, sshd

    if not SSHD.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("sshd missing under CI=true: scripts/test installs it")
        pytest.skip("openssh-server not installed")
    from tests.receiver import Receiver

    peer = Receiver()
    received, server, hook = peer.received, peer.server, peer.url
    from aiosmtpd.controller import Controller

    from tests.test_reports import Inbox

    inbox = Inbox()
    smtp_port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    with sshd(tmp_path / "sshd") as ssh:
        recovery = f"""\
  - id: tell
    title: Beri tahu tim
    kind: notify
    webhook: {hook}/notify
    email: [tim.teknis@serangkab.go.id]
    message: Pemulihan dimulai
  - id: flip
    title: Alihkan DNS
    kind: http
    url: {hook}/failover
    method: POST
    body: '{{{{"site": "secondary"}}}}'
  - id: remote
    title: Aktifkan aplikasi di server sekunder
    kind: ssh
    target: {{{{host: 127.0.0.1, port: {ssh.port}, user: {ssh.user},
             key_file: {ssh.key_file}, known_hosts: {ssh.known_hosts}}}}}
    run: echo aktif > {tmp_path}/remote.flag; echo layanan aktif di server sekunder
  - id: fragile
    title: Pulihkan berkas konfigurasi
    kind: command
    run: ["test", "-f", "{tmp_path}/fixed"]
    needs: [remote]
"""
        config, _ = write(tmp_path, recovery)
        book = tmp_path / "playbooks" / "portal.yaml"
        book.write_text(book.read_text().replace(
            "services: [portal]\n", f"services: [portal]\nwebhooks: [{hook}/phase]\n"
            "emails: [kepala.dinas@serangkab.go.id]\n"))
        config.write_text(config.read_text() + "reports: {email: {host: 127.0.0.1, port: "
                          f"{smtp_port}, sender: drp@serangkab.go.id, starttls: false}}}}\n")
        assert spbe(config, "drp", "start", "portal", "--mode", "drill", "--by", STARTER,
                    "--detach").returncode == 0
        sign_declaration(config, 1)
        assert declare(config, "1", PENYEDIA).returncode == 0
        proc = runner(config, 1, tmp_path / "runner.log")
        # the war room hears that a step failed and waits for a decision, then decides
        wait(lambda: any(b.get("event") == "step.failed" for _, b in received),
             "the failure announced")
        (tmp_path / "fixed").write_text("ok")
        assert spbe(config, "drp", "step", "1", "fragile", "retry", "--reason",
                    "berkas dipulihkan dari cadangan", "--by", KABID).returncode == 0
        assert proc.wait(timeout=180) == 0, (tmp_path / "runner.log").read_text()
    server.shutdown()
    smtp.stop()
    assert (tmp_path / "remote.flag").read_text() == "aktif\n"
    [attempt] = next(s for s in status(config, 1)["steps"] if s["id"] == "remote")["history"]
    assert attempt["output_tail"].strip() == "layanan aktif di server sekunder"
    mails = [email.message_from_bytes(m, policy=email.policy.default) for m in inbox.messages]
    subjects = [str(m["Subject"]).strip() for m in mails]
    assert sorted(subjects) == sorted([
        "DRP portal: Beri tahu tim",
        "DRP portal (latihan): deklarasi ditandatangani, fase pemulihan dimulai",
        "DRP portal (latihan): langkah gagal, menunggu keputusan Koordinator Pemulihan",
        "DRP portal (latihan): fase normalisasi dimulai",
        "DRP portal (latihan): pelaksanaan selesai"])
    paths = [p for p, _ in received]
    assert "/notify" in paths and "/failover" in paths
    told = [body for p, body in received if p == "/phase"]
    assert [b["event"] for b in told] == ["phase.recovery", "step.failed",
                                          "phase.normalisation", "run.done"]
    failed = told[1]
    assert failed["step"] == "fragile" and failed["run"] == 1 and failed["mode"] == "drill"
    assert failed["rto_target_seconds"] == 3600 and failed["rto_elapsed_seconds"] > 0
    assert all(b["konsol"].endswith("/konsol/drp/pelaksanaan/1") for b in told)
    failure = next(m for m in mails if "langkah gagal" in str(m["Subject"]))
    body = failure.get_content()
    assert "Langkah: fragile" in body and "/konsol/drp/pelaksanaan/1" in body
    assert next(body for p, body in received if p == "/failover") == {"site": "secondary"}


@pytest.mark.slow
def test_approval_steps_starter_declaration_sql_recovery_point_rto_missed_and_abort(tmp_path):
    db_file = tmp_path / "replica.db"
    import sqlite3

    with sqlite3.connect(db_file) as conn:
        conn.execute("CREATE TABLE replay (at TEXT)")
        conn.execute("INSERT INTO replay VALUES ('2026-01-01T00:00:00+00:00')")
    recovery = """\
  - id: sign-off
    title: Persetujuan pimpinan sebelum pengalihan
    kind: approval
    min_eselon: II
    roles: [penyedia_layanan]
  - id: replica-point
    title: Waktu replay replika
    kind: recovery_point
    service: portal
    database: sqlite:///{dir}/replica.db
    sql: SELECT at FROM replay
    needs: [sign-off]
  - id: start-secondary
    title: Jalankan situs sekunder
    kind: command
    shell: true
    run: >-
      sleep 1.5; {py} -m http.server {site} --bind 127.0.0.1 --directory {dir}/www
      >/dev/null 2>&1 & echo $! > {dir}/site.pid
    needs: [sign-off]
  - id: verify
    title: Verifikasi
    kind: wait_healthy
    services: [portal]
    needs: [start-secondary]
    timeout: 30s
    poll: 200ms
"""
    normalisation = """\
  - id: stop
    title: Hentikan situs sekunder
    kind: command
    shell: true
    run: "kill $(cat {dir}/site.pid)"
  - id: confirm-primary
    title: Konfirmasi situs primer normal
    kind: manual
"""
    config, _ = write(tmp_path, recovery, normalisation, rto="1s",
                      head="allow_starter_declaration: true\n")
    assert spbe(config, "drp", "start", "portal", "--mode", "drill", "--by", STARTER,
                "--detach").returncode == 0
    sign_declaration(config, 1)
    r = declare(config, "1", STARTER)
    assert r.returncode == 0, r.stderr  # allowed by this playbook, and the report says so
    proc = runner(config, 1, tmp_path / "runner.log")
    wait(lambda: next(s for s in status(config, 1)["steps"] if s["id"] == "sign-off")[
        "state"] == "waiting_approval", "the approval gate")
    r = spbe(config, "drp", "approve", "1", "sign-off", "--by", KABID)
    assert r.returncode == 3 and "eselon II" in r.stderr
    r = spbe(config, "drp", "approve", "1", "sign-off", "--by", PENYEDIA)
    assert r.returncode == 3 and "TOTP" in r.stderr  # an eselon II signature
    assert spbe(config, "drp", "approve", "1", "sign-off", "--by", PENYEDIA, "--totp",
                totp_for(config, PENYEDIA)).returncode == 0
    wait(lambda: next(s for s in status(config, 1)["steps"] if s["id"] == "confirm-primary")[
        "state"] == "waiting_approval", "the manual step")
    r = spbe(config, "drp", "approve", "1", "confirm-primary", "--by", TEKNIS, "--note",
             "primer normal")
    assert r.returncode == 0, r.stderr
    assert proc.wait(timeout=60) == 0, (tmp_path / "runner.log").read_text()
    [svc] = status(config, 1)["services"]
    assert svc["rto_achieved_seconds"] > 1 and svc["rto_met"] is False  # target 1 s
    split = svc["rto_breakdown_seconds"]
    assert split["automated"] >= 1.5 and split["waiting_approval"] > 0
    assert svc["recovery_point"] == "2026-01-01T00:00:00+00:00" and svc["rpo_met"] is False
    assert spbe(config, "drp", "report", "1", "--format", "json", "--out",
                str(tmp_path / "out")).returncode == 0
    g = json.loads(next((tmp_path / "out").glob("*/formulir-g_*.json")).read_text())
    assert g["pelaksanaan"]["deklarasi_oleh_pemulai_diizinkan"] is True
    assert g["peluang_peningkatan"][0]["uraian"].startswith(
        "RTO layanan Portal Layanan Publik terlewati")
    assert g["jalur_kritis"] == ["Persetujuan pimpinan sebelum pengalihan",
                               "Jalankan situs sekunder", "Verifikasi"]  # by title
    # a second run, aborted with a reason
    assert spbe(config, "drp", "start", "portal", "--mode", "drill", "--by", STARTER,
                "--detach").returncode == 0
    assert spbe(config, "drp", "abort", "2", "--reason", "uji dibatalkan: listrik padam",
                "--by", KABID).returncode == 0
    aborted = status(config, 2)
    assert aborted["state"] == "aborted" and aborted["reason"].startswith("uji dibatalkan")
    r = spbe(config, "drp", "approve", "2", "assess-facility", "--by", KABID)
    assert r.returncode == 2 and "aborted" in r.stderr
    listed = json.loads(spbe(config, "drp", "list", "--json").stdout)
    assert [(r["id"], r["state"]) for r in listed] == [(1, "done"), (2, "aborted")]


@pytest.mark.slow
def test_retries_timeouts_and_failures_that_may_continue(tmp_path):
    recovery = """\
  - id: flaky
    title: Berhasil pada percobaan kedua
    kind: command
    retries: 1
    run: ["sh", "-c", "echo x >> {dir}/flaky.count; [ $(wc -l < {dir}/flaky.count) -ge 2 ]"]
  - id: optional
    title: Boleh gagal
    kind: command
    on_failure: continue
    run: ["false"]
  - id: slow
    title: Terlalu lama
    kind: command
    timeout: 1s
    on_failure: continue
    run: ["sleep", "20"]
  - id: after
    title: Sesudahnya
    kind: command
    needs: [flaky, optional, slow]
    run: ["sh", "-c", "echo x >> {dir}/after.count"]
"""
    config, _ = write(tmp_path, recovery)
    declared_drill(config)
    assert runner(config, 1, tmp_path / "runner.log").wait(timeout=60) == 0
    steps = {s["id"]: s for s in status(config, 1)["steps"]}
    assert (steps["flaky"]["state"], steps["flaky"]["attempts"]) == ("done", 2)
    assert steps["optional"]["state"] == "failed"
    assert steps["slow"]["state"] == "failed" and "within 1 s" in steps["slow"]["note"]
    assert steps["after"]["state"] == "done" and (tmp_path / "after.count").exists()
    assert spbe(config, "drp", "report", "1", "--format", "json", "--out",
                str(tmp_path / "out")).returncode == 0
    g = json.loads(next((tmp_path / "out").glob("*/formulir-g_*.json")).read_text())
    assert {t["id"] for t in g["kegagalan"]} == {"flaky", "optional", "slow"}  # every failure


def test_checklists_and_the_tabel_4_3_verdict_are_recorded(tmp_path):
    config, _ = write(tmp_path, """\
  - id: only
    title: Satu langkah
    kind: command
    run: ["true"]
""")
    assert spbe(config, "drp", "start", "portal", "--mode", "drill", "--by", STARTER,
                "--detach").returncode == 0
    approve = ["drp", "approve", "1", "assess-facility", "--by", KABID]
    r = spbe(config, *approve)
    assert r.returncode == 2 and '"Catu daya", "Suhu ruang"' in r.stderr
    r = spbe(config, *approve, "--checked", "Genset")
    assert r.returncode == 2 and "not on the checklist" in r.stderr
    r = spbe(config, *approve, "--checked", "Catu daya")
    assert r.returncode == 2 and 'unticked items need --note saying why: "Suhu ruang"' in r.stderr
    r = spbe(config, *approve, "--checked", "Catu daya", "--note", "termometer rusak")
    assert r.returncode == 0, r.stderr
    assert "[x] Catu daya" in r.stdout and "[ ] Suhu ruang" in r.stdout
    r = spbe(config, "drp", "approve", "1", "assess-devices", "--by", KABID, "--all-checked")
    assert r.returncode == 2 and "has no checklist" in r.stderr
    assert spbe(config, "drp", "approve", "1", "assess-devices", "--by", KABID).returncode == 0
    r = spbe(config, "drp", "approve", "1", "analyse", "--by", KABID, "--category",
             "kerusakan_fisik", "--recovery-days", "5")
    assert r.returncode == 0 and "Tabel 4.3 row 2: Pemulihan Layanan" in r.stdout, r.stdout
    facility = next(s for s in status(config, 1)["steps"] if s["id"] == "assess-facility")
    assert facility["output"]["checklist"] == {"Catu daya": True, "Suhu ruang": False}
    from spbe_monitor.config.loader import load_config
    from spbe_monitor.ledger import db
    from spbe_monitor.ledger.store import Store

    loaded = load_config(config)
    entries = Store(db.make_engine(loaded.database_url)).audit_entries("drp-run:1/assess-facility")
    signed = [e for e in entries if e.action == "drp.step.approved"]
    assert signed and signed[0].after and signed[0].after["checklist"]["Suhu ruang"] is False
    assert spbe(config, "drp", "report", "1", "--format", "json,html", "--out",
                str(tmp_path / "out")).returncode == 0
    g = json.loads(next((tmp_path / "out").glob("*/formulir-g_*.json")).read_text())
    [facility_g, analysis_g] = g["penilaian"]
    assert facility_g["daftar_periksa"] == [{"butir": "Catu daya", "diperiksa": True},
                                            {"butir": "Suhu ruang", "diperiksa": False}]
    assert analysis_g["tabel_4_3"]["response"] == "Pemulihan Layanan"
    html = next((tmp_path / "out").glob("*/formulir-g_*.html")).read_text()
    assert "☐ Suhu ruang (tidak diperiksa)" in html and "Tabel 4.3 baris 2" in html


def test_abort_stops_the_running_command_and_everything_it_started(tmp_path):
    """Issue 30, item 2: after "Hentikan pelaksanaan" a copy went on for 80 s and the step
    showed "berjalan" for ever. Now the runner kills the step's process group within
    seconds and records the step as stopped, with what it had printed."""
    recovery = """\
  - id: sync-files
    title: Salin berkas ke situs sekunder
    kind: command
    shell: true
    run: >-
      (sleep 120; echo x > {dir}/child.done) & echo "menyalin 1 dari 3 berkas";
      echo mulai > {dir}/started; sleep 120; echo x > {dir}/copy.done
    timeout: 5m
"""
    config, _ = write(tmp_path, recovery)
    declared_drill(config)
    proc = runner(config, 1, tmp_path / "runner.log")
    wait(lambda: (tmp_path / "started").exists(), "sync-files started")

    def step() -> dict[str, Any]:
        return next(s for s in status(config, 1)["steps"] if s["id"] == "sync-files")

    wait(lambda: "menyalin" in (step()["history"][-1]["output_tail"] or ""), "its output")
    assert spbe(config, "drp", "abort", "1", "--reason", "salah playbook",
                "--by", KABID).returncode == 0
    aborted = time.monotonic()
    while subprocess.run(["pgrep", "-f", f"{tmp_path}/copy.done"],
                         capture_output=True).returncode == 0:
        assert time.monotonic() - aborted < 5, "the step's processes outlived the abort"
        time.sleep(0.1)
    assert proc.wait(timeout=30) == 1  # exit 1: the run did not end done
    assert "sync-files: stopped, the run was aborted" in (tmp_path / "runner.log").read_text()
    stopped = step()
    assert stopped["state"] == "failed" and "dihentikan" in stopped["note"]
    assert "menyalin 1 dari 3 berkas" in stopped["history"][-1]["output_tail"]
    time.sleep(1)
    assert not (tmp_path / "copy.done").exists() and not (tmp_path / "child.done").exists()

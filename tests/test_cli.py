"""The `spbe` commands as a user types them: exit codes, one-line reasons, nothing lost."""

import json
import os
import pwd
import subprocess
from pathlib import Path

import pytest

from spbe_monitor.config.loader import load_config
from spbe_monitor.ledger import db
from spbe_monitor.ledger.store import Store
from tests.cli_helpers import Result, spbe, token_for
from tests.conftest import SPBE
from tests.identities import totp_for

PENYEDIA_IZIN = "197001011995031001"  # eselon II, Penyedia Layanan of perizinan-online
PENYEDIA_SURAT = "197203152000031002"  # eselon II, Penyedia Layanan of persuratan-online
KABID = "198004212005011004"  # eselon III, koordinator
TEKNIS = "199002102015032005"  # no eselon, pengelola teknis


@pytest.fixture
def run(config_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """The CLI as the Pengelola Teknis, logged in (`--by NIP` acts as someone else)."""
    monkeypatch.delenv("SPBE_DATABASE_URL", raising=False)
    for nip in (PENYEDIA_IZIN, PENYEDIA_SURAT, KABID):  # each person holds a token already
        token_for(config_dir / "spbe.yaml", nip)
    monkeypatch.setenv("SPBE_TOKEN", token_for(config_dir / "spbe.yaml", TEKNIS))

    def _run(*args: str) -> Result:
        return spbe(capsys, "--config", str(config_dir / "spbe.yaml"), *args)
    return _run


@pytest.fixture
def ledger(config_dir: Path) -> Store:
    engine = db.make_engine(load_config(config_dir / "spbe.yaml").database_url)
    db.upgrade(engine)
    return Store(engine)


def counts(store: Store) -> tuple[int, int, int]:
    return len(store.outages()), len(store.maintenance()), len(store.audit_entries())


def test_downtime_add_read_in_service_zone_and_counted(run, ledger):
    r = run("downtime", "add", "persuratan-online", "--start", "2026-11-02T08:00",
            "--end", "2026-11-02T09:30", "--cause", "Server hang", "--by", TEKNIS)
    assert r.code == 0, r.err
    [o] = ledger.outages()
    assert o.start_at.isoformat() == "2026-11-02T00:00:00+00:00"  # 08:00 WITA
    assert (o.priority, o.entered_by) == ("P3", TEKNIS)  # Mayor, adm. pemerintahan, Esensial
    r = run("availability", "--month", "2026-11", "--service", "persuratan-online", "--json")
    [fig] = json.loads(r.out)
    assert fig["downtime_seconds"] == 5400 and fig["classification"] == "esensial"
    assert fig["commitment_seconds"] > 0 and fig["target_percent"] == 80.0
    listed = json.loads(run("downtime", "list", "--json").out)
    assert listed[0]["cause"] == "Server hang"
    assert run("downtime", "annotate", str(o.id), "--cause", "Memori penuh").code == 0
    assert ledger.outages()[0].cause == "Memori penuh"


def test_readers_default_to_this_month_and_filter_the_outages(run, ledger):
    """Issue 31, item 8: `availability` needed --month, `downtime list` listed everything.
    Now the month defaults to this one (the configured zone) and the list takes --month
    and --open."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    now = datetime.now(UTC)
    this = now.astimezone(ZoneInfo("Asia/Jakarta")).strftime("%Y-%m")
    plain = json.loads(run("availability", "--json").out)
    assert [f["period"] for f in plain] == [this] * len(plain)
    assert run("downtime", "add", "persuratan-online", "--start", "2026-10-05T09:00",
               "--end", "2026-10-05T10:00", "--cause", "Jaringan putus").code == 0
    assert run("downtime", "add", "persuratan-online", "--start", "2026-11-02T08:00",
               "--end", "2026-11-02T09:00", "--cause", "Server hang").code == 0
    ledger.open_outage("perizinan-online", now, "mayor", "P1", (now, now), "", now)
    causes = {m: [o["cause"] for o in json.loads(
        run("downtime", "list", "--month", m, "--json").out)] for m in ("2026-10", "2026-11")}
    assert causes == {"2026-10": ["Jaringan putus"], "2026-11": ["Server hang"]}
    [still] = json.loads(run("downtime", "list", "--open", "--json").out)
    assert still["service_id"] == "perizinan-online" and still["end_at"] is None
    assert run("downtime", "list", "--month", "2026-13").code == 2


@pytest.mark.parametrize("args, reason", [
    (["downtime", "add", "perizinan-online", "--start", "2026-11-02T09:00", "--end",
      "2026-11-02T08:00", "--cause", "x"], "end must be after start"),
    (["downtime", "add", "nope", "--start", "2026-11-02T08:00", "--end", "2026-11-02T09:00",
      "--cause", "x"], "unknown service 'nope'"),
    (["downtime", "add", "perizinan-online", "--start", "2026-11-02 8am", "--end",
      "2026-11-02T09:00", "--cause", "x"], "not an ISO 8601 time"),
    (["downtime", "add", "perizinan-online", "--start", "2026-11-02T08:00", "--end",
      "2099-01-01T00:00", "--cause", "x"], "downtime in the future"),
    (["downtime", "add", "perizinan-online", "--start", "2026-11-02T08:00", "--end",
      "2026-11-02T09:00", "--cause", "  "], "cause must not be empty"),
    (["downtime", "annotate", "42", "--cause", "x"], "no outage with id 42"),
    (["availability", "--month", "2026-13"], "malformed month"),
    (["availability", "--month", "nov-2026"], "malformed month"),
    (["availability", "--month", "2099-01"], "has not started"),
    (["maintenance", "add", "perizinan-online", "persuratan-online", "--start",
      "2026-12-01T01:00", "--end", "2026-12-01T02:00", "--reason", "x"], "different zones"),
    (["maintenance", "add", "perizinan-online", "--start", "2026-12-01T01:00", "--end",
      "2026-12-01T02:00", "--rrule", "FREQ=SOMETIMES", "--reason", "x"], "rrule: "),
    (["maintenance", "approve", "7", "--by", PENYEDIA_IZIN], "no maintenance window with id 7"),
    (["maintenance", "cancel", "7"], "no maintenance window with id 7"),
    (["downtime", "add", "perizinan-online"], "Missing option '--start'"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(run, ledger, args, reason):
    before = counts(ledger)
    r = run(*args)
    assert r.code == 2, (r.out, r.err)
    assert reason in r.err
    # our own reasons are one line; click's usage errors add its usage text
    assert r.err.startswith("Usage:") or (r.err.startswith("error: ") and r.err.count("\n") == 1)
    assert counts(ledger) == before


def test_late_maintenance_is_flagged_and_only_the_right_person_may_approve(run, ledger,
                                                                         config_dir):
    run("downtime", "add", "perizinan-online", "--start", "2026-11-03T01:00+07:00",
        "--end", "2026-11-03T03:00+07:00", "--cause", "Upgrade")
    r = run("maintenance", "add", "perizinan-online", "--start", "2026-11-03T01:00",
            "--end", "2026-11-03T03:00", "--reason", "Upgrade darurat", "--by", TEKNIS)
    assert r.code == 0 and "is late (registered with less than 1d notice)" in r.err
    [w] = json.loads(run("maintenance", "list", "--json").out)
    assert w["registered_late"] is True and w["approvals"] == []

    def downtime() -> int:
        out = run("availability", "--month", "2026-11", "--service", "perizinan-online",
                  "--json").out
        return int(json.loads(out)[0]["downtime_seconds"])

    assert downtime() == 7200  # the late window excuses nothing yet
    for nip, why in ((KABID, "only a Penyedia Layanan"),
                     (PENYEDIA_SURAT, "not a Penyedia Layanan of any service")):
        r = run("maintenance", "approve", str(w["id"]), "--by", nip)
        assert r.code == 3 and why in r.err
    refusals = [e for e in ledger.audit_entries(f"maintenance:{w['id']}")
                if e.outcome == "refused"]
    assert [e.actor for e in refusals] == [KABID, PENYEDIA_SURAT]
    assert downtime() == 7200
    r = run("maintenance", "approve", str(w["id"]), "--by", PENYEDIA_IZIN)
    assert r.code == 3 and "needs a TOTP code" in r.err  # eselon II: the second factor too
    assert downtime() == 7200
    r = run("maintenance", "approve", str(w["id"]), "--by", PENYEDIA_IZIN, "--totp",
            totp_for(config_dir / "spbe.yaml", PENYEDIA_IZIN))
    assert r.code == 0 and "perizinan-online" in r.out
    assert downtime() == 0
    assert run("maintenance", "cancel", str(w["id"]), "--by", TEKNIS).code == 0
    assert downtime() == 7200


def test_scheduled_recurring_window_excuses_its_future_occurrences(run, ledger):
    r = run("maintenance", "add", "perizinan-online", "--start", "2099-01-04T01:00",
            "--end", "2099-01-04T03:00", "--rrule", "FREQ=WEEKLY;BYDAY=SU", "--reason", "Patch")
    assert r.code == 0 and r.err == ""
    [w] = ledger.maintenance()
    assert w.timezone == "Asia/Jakarta" and not w.registered_late


def test_classify(run):
    r = run("classify", "--nature", "publik", "--basis", "khusus", "--scope", "regional")
    assert (r.code, r.out.strip()) == (0, "Esensial")
    r = run("classify", "--nature", "publik", "--basis", "umum", "--scope", "instansi")
    assert r.code == 1 and "no row" in r.out
    assert run("classify", "--nature", "swasta", "--basis", "umum", "--scope", "instansi").code == 2


def test_token_issue_prints_once_stores_only_the_hash_and_revoke(run, ledger):
    r = run("token", "issue", TEKNIS)
    token = r.out.strip()
    assert r.code == 0 and token.startswith("spbe_") and "shown only now" in r.err
    from spbe_monitor.api.tokens import digest
    assert ledger.token_owner(digest(token)) == TEKNIS
    with ledger.engine.connect() as conn:
        stored = [row[0] for row in conn.exec_driver_sql("SELECT token_sha256 FROM api_tokens")]
    assert token not in stored and digest(token) in stored
    r = run("token", "revoke", TEKNIS)
    assert r.code == 0 and "2 token(s)" in r.out  # this one and the one the CLI acts with
    assert ledger.token_owner(digest(token)) is None
    assert run("token", "issue", "000000000000000000").code == 2


def test_tokens_expire_are_listed_without_their_value_and_only_admins_mint_them(
        run, ledger, config_dir, monkeypatch):
    from datetime import UTC, datetime, timedelta

    from spbe_monitor.api.tokens import digest

    token = run("token", "issue", TEKNIS, "--days", "7").out.strip()
    [info] = [t for t in json.loads(run("token", "list", "--json").out)
              if t["sha256_prefix"] == digest(token)[:12]]
    assert info["nip"] == TEKNIS and info["sha256_prefix"] == digest(token)[:12]
    assert token not in run("token", "list", "--json").out
    expires = datetime.fromisoformat(info["expires_at"])
    assert timedelta(days=6, hours=23) < expires - datetime.now(UTC) <= timedelta(days=7)
    assert ledger.token_owner(digest(token), expires - timedelta(seconds=1)) == TEKNIS
    assert ledger.token_owner(digest(token), expires) is None  # expired
    assert next(t for t in json.loads(run("token", "list", "--json").out)
                if t["id"] == info["id"])["last_used_at"] is not None
    settings = config_dir / "spbe.yaml"  # an install whose administrator is another user
    settings.write_text(settings.read_text().replace("admins: [root, spbe]", "admins: [spbe]"))
    # the OS user is the kernel's: naming the administrator in LOGNAME/USER changes nothing
    monkeypatch.setenv("LOGNAME", "spbe")
    monkeypatch.setenv("USER", "spbe")
    for act in (("issue", TEKNIS), ("revoke", TEKNIS)):
        r = run("token", *act)
        assert r.code == 3 and "is not an administrator" in r.err
    refusals = [e for e in ledger.audit_entries() if e.outcome == "refused"]
    assert [e.action for e in refusals] == ["token.issue", "token.revoke"]
    assert {e.actor for e in refusals} == {f"os:{pwd.getpwuid(os.geteuid()).pw_name}"}


def test_drp_assess_cites_tabel_4_3(run):
    r = run("drp", "assess", "--category", "kerusakan_fisik", "--recovery-days", "5", "--json")
    assert r.code == 0 and json.loads(r.out) == {
        "response": "Pemulihan Layanan", "row": 2,
        "reason": "kerusakan fisik infrastruktur Pusat Data, pemulihan diperkirakan lebih "
                  "dari 3 hari"}
    r = run("drp", "assess", "--category", "akses")
    assert r.code == 0 and r.out.startswith("Penanganan Gangguan (Tabel 4.3 baris 5")
    assert run("drp", "assess", "--category", "banjir").code == 2
    assert run("drp", "assess", "--category", "akses", "--downtime-hours", "-1").code == 2


def test_audit_verify_catches_a_row_edited_in_the_database(run, ledger):
    assert run("downtime", "add", "perizinan-online", "--start", "2026-11-02T08:00",
               "--end", "2026-11-02T09:00", "--cause", "Listrik padam").code == 0
    assert run("token", "issue", TEKNIS).code == 0
    ok = run("audit", "verify")
    assert ok.code == 0 and "intact: 12 entries" in ok.out  # 4 tokens held, 2 acts
    # entry 9 is the downtime entry, after the four tokens' issue and seal entries
    from sqlalchemy import text
    with ledger.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET after = replace(after, 'Listrik', 'Petir') "
                          "WHERE action = 'downtime.add'"))
    bad = run("audit", "verify")
    assert bad.code == 1 and "NOT intact" in bad.err and "entry 9 was edited" in bad.err


def test_acts_need_a_credential_not_a_typed_nip(run, ledger, monkeypatch, config_dir):
    act = ["downtime", "add", "perizinan-online", "--start", "2026-11-02T08:00", "--end",
           "2026-11-02T09:00", "--cause", "x"]
    monkeypatch.delenv("SPBE_TOKEN")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_dir / "nobody-home"))
    r = run(*act)
    assert r.code == 3 and "no credential: run `spbe login`" in r.err
    typed = subprocess.run([*SPBE, "--config", str(config_dir / "spbe.yaml"), *act, "--by",
                            TEKNIS], capture_output=True, text=True)
    assert typed.returncode == 2 and "No such option '--by'" in typed.stderr  # gone for good
    monkeypatch.setenv("SPBE_TOKEN", "spbe_forged")
    r = run(*act)
    assert r.code == 3 and "unknown, expired or revoked" in r.err
    stranger = token_for(config_dir / "spbe.yaml", "196001011980011001")  # not in people.yaml
    monkeypatch.setenv("SPBE_TOKEN", stranger)
    assert run(*act).code == 3
    refusals = [e for e in ledger.audit_entries() if e.outcome == "refused"]
    assert [e.action for e in refusals] == ["downtime.add"] * 3 and ledger.outages() == []


def test_login_keeps_the_token_for_this_user_only(run, ledger, monkeypatch, config_dir,
                                                  capsys):
    import io
    import stat

    token = token_for(config_dir / "spbe.yaml", KABID)
    monkeypatch.delenv("SPBE_TOKEN")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_dir / "home"))
    monkeypatch.setattr("sys.stdin", io.StringIO(token + "\n"))
    r = run("login")
    assert r.code == 0 and KABID in r.out
    stored = config_dir / "home" / "spbe" / "token"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert "Dedi Kurniawan" in run("whoami").out
    monkeypatch.setattr("sys.stdin", io.StringIO("spbe_forged\n"))
    assert run("login").code == 3 and stored.read_text().strip() == token  # kept as it was
    assert run("logout").code == 0 and not stored.exists()
    assert run("whoami").code == 3


def test_a_person_sets_a_password_and_logs_in_with_it(run, ledger, monkeypatch, config_dir):
    import io

    from spbe_monitor.ledger.evidence import unsealed_changes

    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_dir / "home"))
    monkeypatch.setattr("sys.stdin", io.StringIO("pendek\npendek\n"))
    assert run("passwd").code == 2  # too short
    monkeypatch.setattr("sys.stdin", io.StringIO("Rahasia-Serang-49\nRahasia-Serang-4\n"))
    assert run("passwd").code == 2  # the two differ
    monkeypatch.setattr("sys.stdin", io.StringIO("Rahasia-Serang-49\nRahasia-Serang-49\n"))
    assert run("passwd").code == 0
    with ledger.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT argon2_hash FROM passwords").scalar_one()
        assert stored.startswith("$argon2id$") and "Rahasia" not in stored
        assert unsealed_changes(conn) == []
    monkeypatch.delenv("SPBE_TOKEN")
    for nip, password in ((TEKNIS, "salah-sekali-ini"), (KABID, "Rahasia-Serang-49"),
                          ("000000000000000000", "Rahasia-Serang-49")):
        monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
        r = run("login", "--nip", nip)
        assert r.code == 3 and "wrong NIP or password" in r.err  # the same words for all
    monkeypatch.setattr("sys.stdin", io.StringIO("Rahasia-Serang-49\n"))
    r = run("login", "--nip", TEKNIS)
    assert r.code == 0 and "logged in as Rina Marlina" in r.out
    assert "Rina Marlina" in run("whoami").out
    refused = [e for e in ledger.audit_entries() if e.action == "login"]
    assert len(refused) == 3 and all(e.outcome == "refused" for e in refused)


def test_ten_failed_logins_lock_the_nip_for_a_while(run, ledger, monkeypatch, config_dir):
    import io

    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_dir / "home"))
    monkeypatch.setattr("sys.stdin", io.StringIO("Rahasia-Serang-49\nRahasia-Serang-49\n"))
    assert run("passwd").code == 0
    monkeypatch.delenv("SPBE_TOKEN")
    for _ in range(10):
        monkeypatch.setattr("sys.stdin", io.StringIO("tebak-tebakan-saja\n"))
        assert run("login", "--nip", TEKNIS).code == 3
    monkeypatch.setattr("sys.stdin", io.StringIO("Rahasia-Serang-49\n"))  # right, too late
    r = run("login", "--nip", TEKNIS)
    assert r.code == 3 and "10 failed logins" in r.err and "try again later" in r.err


def test_downtime_overlapping_what_is_recorded_is_kept_and_named(run, ledger):
    """Issue 31, item 8: an overlapping entry was accepted without a word (often the same
    outage entered twice). It is still recorded — the time counts once — and named."""
    first = run("downtime", "add", "persuratan-online", "--start", "2026-11-02T08:00",
                "--end", "2026-11-02T09:30", "--cause", "Server hang")
    assert first.code == 0 and "warning" not in first.err
    [o] = ledger.outages()
    again = run("downtime", "add", "persuratan-online", "--start", "2026-11-02T09:00",
                "--end", "2026-11-02T10:00", "--cause", "Server hang (dilaporkan pengguna)")
    assert again.code == 0
    assert f"warning: it overlaps outage(s) already recorded: {o.id}" in again.err
    [fig] = json.loads(run("availability", "--month", "2026-11", "--service",
                           "persuratan-online", "--json").out)
    assert fig["downtime_seconds"] == 2 * 3600  # 08.00-10.00, the overlap once


def test_status_without_a_daemon_says_what_the_ledger_last_knew(run, ledger):
    """Issue 31, item 8: with the daemon down `spbe status` said only that. Now it also
    prints the ledger's last judged state, the open outage and since when (exit 1: the
    daemon is still down)."""
    from datetime import UTC, datetime, timedelta

    from spbe_monitor.ledger.records import TransitionRow

    at = datetime.now(UTC) - timedelta(minutes=5)
    session = ledger.open_session("h", at)
    ledger.beat(session, at + timedelta(minutes=1))
    ledger.record_transitions([TransitionRow("service", "perizinan-online", at, "up", "down",
                                             "spbe-self-http down")])
    oid = ledger.open_outage("perizinan-online", at, "mayor", "P1", (at, at), "", at)
    r = run("status")
    assert r.code == 1 and "no daemon answering" in r.err
    assert "NO DAEMON: the ledger's last known state (last observation" in r.out
    row = next(line for line in r.out.splitlines() if line.startswith("perizinan-online"))
    assert "down" in row and f"{oid} (P1) since" in row
    known = json.loads(run("status", "--json").out)
    assert known["services"]["perizinan-online"]["open_outage"]["id"] == oid
    assert known["services"]["simpeg-internal"]["health"] == "unknown"

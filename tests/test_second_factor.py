"""The second factor as a person meets it: `spbe totp enrol` prints an otpauth URI and a
QR code, `confirm` activates it, each code is accepted once, a replacement needs the
current code, and an administrator resets a lost one. The break-glass path: an
administrator acts on a DRP run without a person's credential only while no daemon holds
the ledger, with a warning, and the audit log says so (SQLite and PostgreSQL)."""

from __future__ import annotations

import getpass
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest

from spbe_monitor.config.loader import Config, load_config
from spbe_monitor.drp.operations import Drp
from spbe_monitor.ledger.lock import Holder, LedgerLock
from spbe_monitor.ledger.store import Store
from spbe_monitor.secondfactor import matched_step
from spbe_monitor.secretbox import SecretBox
from tests.cli_helpers import Result, spbe
from tests.conftest import FakeClock
from tests.identities import as_person

PENYEDIA_IZIN = "197001011995031001"  # eselon II, Penyedia Layanan of perizinan-online
KABID = "198004212005011004"
TEKNIS = "199002102015032005"


@pytest.fixture
def cli(config_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("SPBE_TOKEN", raising=False)

    def run(*args: str) -> Result:
        return spbe(capsys, "--config", str(config_dir / "spbe.yaml"), *args)
    return run


def found(pattern: str, text: str, group: int = 0) -> str:
    match = re.search(pattern, text)
    assert match, (pattern, text)
    return match.group(group)


def late_window(cli) -> str:
    r = cli("maintenance", "add", "perizinan-online", "--start", "2026-11-02T01:00", "--end",
            "2026-11-02T02:00", "--reason", "Darurat", "--by", TEKNIS)
    assert r.code == 0, r.err
    return found(r"maintenance (\d+)", r.out, 1)


def enrolled(config: Config, store: Store, nip: str) -> tuple[str, bool] | None:
    """(secret in clear, confirmed): what the ledger holds, opened with the key folder's key."""
    found_ = store.totp_secret(nip)
    if found_ is None:
        return None
    return SecretBox.load_or_create(config.secrets_key_path).open(found_[0]), found_[1]


def test_enrol_confirm_and_each_code_once(cli, configured):
    config, store = configured
    r = cli("totp", "enrol", "--by", PENYEDIA_IZIN)
    assert r.code == 0, r.err
    assert "▀" in r.out or "▄" in r.out or "█" in r.out  # the QR code, drawn in blocks
    uri = found(r"otpauth://totp/\S+", r.out)
    assert "issuer=spbe-monitor" in uri and PENYEDIA_IZIN in uri
    secret = found(r"secret=([A-Z2-7]+)", uri, 1)
    totp = pyotp.TOTP(secret)
    window = late_window(cli)
    r = cli("maintenance", "approve", window, "--by", PENYEDIA_IZIN, "--totp", totp.now())
    assert r.code == 3 and "no authenticator is enrolled" in r.err  # not confirmed yet
    assert cli("totp", "confirm", "000000", "--by", PENYEDIA_IZIN).code == 3
    code = totp.now()
    r = cli("totp", "confirm", code, "--by", PENYEDIA_IZIN)
    assert r.code == 0, r.err
    r = cli("maintenance", "approve", window, "--by", PENYEDIA_IZIN, "--totp", code)
    assert r.code == 3 and "used already" in r.err  # the confirming code is spent
    r = cli("maintenance", "approve", window, "--by", PENYEDIA_IZIN, "--totp", "12345")
    assert r.code == 3 and "wrong or expired" in r.err
    later = totp.at(datetime.now(UTC) + timedelta(seconds=30))  # the next step
    r = cli("maintenance", "approve", window, "--by", PENYEDIA_IZIN, "--totp", later)
    assert r.code == 0, r.err
    reasons = [e.after["reason"] for e in store.audit_entries()
               if e.outcome == "refused" and e.actor == PENYEDIA_IZIN]
    assert len(reasons) == 4 and any("used already" in x for x in reasons)
    # a replacement needs the current code; without it nothing changes
    r = cli("totp", "enrol", "--by", PENYEDIA_IZIN)
    assert r.code == 3 and enrolled(config, store, PENYEDIA_IZIN) == (secret, True)
    r = cli("totp", "enrol", "--by", PENYEDIA_IZIN, "--totp",
            totp.at(datetime.now(UTC) + timedelta(seconds=60)))
    assert r.code == 3  # two steps ahead: outside the drift allowed
    assert enrolled(config, store, PENYEDIA_IZIN) == (secret, True)
    assert cli("audit", "verify").code == 0  # the credential rows are sealed
    stored = store.totp_secret(PENYEDIA_IZIN)
    assert stored is not None and secret not in stored[0]  # encrypted at rest
    assert config.secrets_key_path.stat().st_mode & 0o777 == 0o600


def test_an_administrator_resets_a_lost_authenticator(cli, configured, config_dir: Path):
    _, store = configured
    assert cli("totp", "enrol", "--by", PENYEDIA_IZIN).code == 0
    r = cli("totp", "reset", PENYEDIA_IZIN)  # the test runs as root, an administrator
    assert r.code == 0 and "removed" in r.out
    assert store.totp_secret(PENYEDIA_IZIN) is None
    assert cli("audit", "verify").code == 0  # a reset is sealed as a deletion
    settings = config_dir / "spbe.yaml"
    settings.write_text(settings.read_text().replace("admins: [root, spbe]", "admins: [spbe]"))
    r = cli("totp", "reset", PENYEDIA_IZIN)
    assert r.code == 3 and "not an administrator" in r.err
    [refusal] = [e for e in store.audit_entries() if e.action == "totp.reset"
                 and e.outcome == "refused"]
    assert refusal.actor == f"os:{getpass.getuser()}"


def test_codes_match_within_one_step_of_drift():
    secret = pyotp.random_base32()
    now = datetime(2026, 11, 29, 1, 0, 10, tzinfo=UTC)
    step = pyotp.TOTP(secret).timecode(now)
    for seconds, expected in ((-30, step - 1), (0, step), (30, step + 1), (60, None),
                              (-60, None)):
        code = pyotp.TOTP(secret).at(now + timedelta(seconds=seconds))
        assert matched_step(secret, code, now) == expected
    assert matched_step(secret, "abcdef", now) is None


def test_break_glass_only_for_an_administrator_while_the_daemon_is_down(
        cli, configured, config_dir: Path, capsys: pytest.CaptureFixture[str]):
    config, store = configured
    run = Drp(config, store, FakeClock()).start("perizinan-online", "drill",
                                                 as_person(config, KABID), None)
    lock = LedgerLock(store.engine, Holder.me())  # a running daemon holds the ledger
    lock.acquire()
    try:
        r = cli("drp", "abort", str(run), "--reason", "pusat data terendam", "--offline")
        assert r.code == 3 and "daemon is down" in r.err
    finally:
        lock.release()
    r = cli("drp", "abort", str(run), "--reason", "pusat data terendam", "--offline")
    assert r.code == 0, r.err
    assert "WARNING: break-glass" in r.err
    me = f"os:{getpass.getuser()} (break-glass)"
    aborted = [e for e in store.audit_entries() if e.action == "drp.aborted"]
    assert [(e.actor, e.outcome) for e in aborted] == [(me, "refused"), (me, "done")]
    assert Drp(config, store, FakeClock()).journal.run(run)["state"] == "aborted"
    settings = config_dir / "spbe.yaml"
    settings.write_text(settings.read_text().replace("admins: [root, spbe]", "admins: [spbe]"))
    run = Drp(config, store, FakeClock()).start("perizinan-online", "drill",
                                                 as_person(config, KABID), None)
    r = cli("drp", "abort", str(run), "--reason", "x", "--offline")
    assert r.code == 3 and "break-glass" in r.err and "not an administrator" in r.err
    r = cli("maintenance", "cancel", "1", "--offline")
    assert r.code == 2  # the break-glass path exists for DRP runs only


def test_secrets_an_older_version_kept_in_plain_are_encrypted_when_the_daemon_starts(
        config_dir: Path, monkeypatch: pytest.MonkeyPatch):
    """Issue 29, item 4: no TOTP secret in the ledger's bytes; the code still works after."""
    from spbe_monitor.ledger import db
    from tests.conftest import SPBE
    from tests.daemon import Daemon
    from tests.pg import free_port

    monkeypatch.delenv("SPBE_DATABASE_URL", raising=False)
    port = free_port()
    settings = config_dir / "spbe.yaml"
    settings.write_text(settings.read_text().replace("port: 9740", f"port: {port}"))
    config = load_config(settings)
    ledger_file = Path(config.database_url.removeprefix("sqlite:///"))
    Daemon(settings, port).stop()  # the ledger exists
    secret = pyotp.random_base32()
    store = Store(db.make_engine(config.database_url))
    store.enrol_totp(PENYEDIA_IZIN, secret, datetime.now(UTC))  # as an older version did
    store.confirm_totp(PENYEDIA_IZIN, datetime.now(UTC))
    store.engine.dispose()
    assert secret.encode() in ledger_file.read_bytes()
    assert Daemon(settings, port).stop() == 0
    assert secret.encode() not in ledger_file.read_bytes()
    wal = ledger_file.with_name(ledger_file.name + "-wal")
    assert not wal.exists() or secret.encode() not in wal.read_bytes()
    reopened = Store(db.make_engine(config.database_url))
    assert enrolled(config, reopened, PENYEDIA_IZIN) == (secret, True)
    assert config.secrets_key_path.parent != ledger_file.parent  # not carried by its backup
    verified = subprocess.run([*SPBE, "--config", str(settings), "audit", "verify"],
                              capture_output=True, text=True)
    assert verified.returncode == 0, verified.stderr  # the change is sealed

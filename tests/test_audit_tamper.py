"""Tampering with the ledger behind spbe-monitor's back (SQL on SQLite and PostgreSQL), each
kind detected by `spbe audit verify`: exit 1, naming what changed."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import Connection, insert, select, text, update

from spbe_monitor.config.loader import load_config
from spbe_monitor.drp.operations import Drp
from spbe_monitor.ledger import db
from spbe_monitor.ledger.auditchain import GENESIS, entry_hash
from spbe_monitor.ledger.evidence import seal
from spbe_monitor.ledger.store import Store
from spbe_monitor.ledger.tables import audit_log, maintenance_services, maintenance_windows
from spbe_monitor.manual import Desk
from tests.cli_helpers import spbe
from tests.conftest import FakeClock
from tests.identities import as_person

KABID = "198004212005011004"
PENYEDIA = "197001011995031001"
TEKNIS = "199002102015032005"


def recompute_chain(conn: Connection) -> None:
    """What a database administrator could do: rewrite every hash with the public function."""
    prev = GENESIS
    for r in conn.execute(select(audit_log).order_by(audit_log.c.id)).all():
        digest = entry_hash(prev, r.at, r.actor, r.action, r.subject, r.outcome, r.before,
                            r.after)
        conn.execute(update(audit_log).where(audit_log.c.id == r.id).values(
            prev_hash=prev, hash=digest))
        prev = digest


def edit_middle_entry(conn: Connection) -> None:
    conn.execute(text("UPDATE audit_log SET actor = 'someone' WHERE id = 3"))


def delete_middle_entry(conn: Connection) -> None:
    conn.execute(text("DELETE FROM audit_log WHERE id = 4"))


def delete_last_five(conn: Connection) -> None:
    last = conn.execute(text("SELECT max(id) FROM audit_log")).scalar_one()
    conn.execute(text("DELETE FROM audit_log WHERE id > :n"), {"n": last - 5})


def edit_and_recompute(conn: Connection) -> None:
    conn.execute(text("UPDATE audit_log SET actor = 'someone' WHERE id = 3"))
    recompute_chain(conn)


def change_drp_signer(conn: Connection) -> None:
    conn.execute(text(f"UPDATE drp_steps SET actor = '{PENYEDIA}' "
                      "WHERE step_id = 'assess-facility'"))


def move_outage_end(conn: Connection) -> None:
    conn.execute(text("UPDATE outages SET end_at = start_at WHERE id = 1"))


def insert_approval(conn: Connection) -> None:
    conn.execute(text("INSERT INTO maintenance_approvals (window_id, service_id, approved_by, "
                      f"approved_at) VALUES (1, 'perizinan-online', '{PENYEDIA}', "
                      "'2026-11-20 00:00:00')"))


def edit_recompute_and_empty_checkpoints(conn: Connection) -> None:
    """Issue 29: the chain recomputed and the signed checkpoints deleted with it."""
    edit_and_recompute(conn)
    conn.execute(text("DELETE FROM audit_checkpoints"))


def delete_tail_and_checkpoints(conn: Connection) -> None:
    delete_last_five(conn)
    conn.execute(text("DELETE FROM audit_checkpoints"))


def _backdated_window(conn: Connection, sealed_at: datetime) -> None:
    """A window "registered in advance" appended with valid seals: what the code (public)
    does, with the registration dated three weeks back."""
    registered = datetime(2026, 11, 1, 8, tzinfo=UTC)
    conn.execute(insert(maintenance_windows).values(
        id=2, start_at=datetime(2026, 11, 20, 8, tzinfo=UTC),
        end_at=datetime(2026, 11, 20, 9, tzinfo=UTC), timezone="Asia/Jakarta",
        reason="Pembaruan", registered_at=registered, registered_by=TEKNIS))
    conn.execute(insert(maintenance_services).values(window_id=2, service_id="perizinan-online"))
    seal(conn, maintenance_windows, maintenance_windows.c.id == 2, sealed_at)
    seal(conn, maintenance_services, maintenance_services.c.window_id == 2, sealed_at)


def backdated_window_and_seals(conn: Connection) -> None:
    _backdated_window(conn, datetime(2026, 11, 1, 8, tzinfo=UTC))


def backdated_window_sealed_now(conn: Connection) -> None:
    _backdated_window(conn, datetime.now(UTC))


@pytest.mark.parametrize("tamper, named", [
    (edit_recompute_and_empty_checkpoints,
     "audit entry 3 differs from what was signed (witness"),
    (delete_tail_and_checkpoints, "was deleted (witness"),
    (backdated_window_and_seals, "(backdated)"),
    (backdated_window_sealed_now, "maintenance_windows:2 claims registered_at "
                                  "2026-11-01T08:00:00.000000+00:00 but was first sealed"),
    (edit_middle_entry, "audit entry 3 was edited after it was written"),
    (delete_middle_entry, "audit entry 5: the entry before it was changed or deleted"),
    (delete_last_five, "were deleted from the end of the log"),
    (edit_and_recompute, "was rewritten since checkpoint"),
    (change_drp_signer, "drp_steps:1/assess-facility was changed outside spbe-monitor"),
    (move_outage_end, "outages:1 was changed outside spbe-monitor"),
    (insert_approval, "maintenance_approvals:1/perizinan-online was written outside "
                      "spbe-monitor (no seal)"),
])
def test_tampering_is_detected_and_named(
        tamper: Callable[[Connection], None], named: str, config_dir: Path, configured,
        capsys: pytest.CaptureFixture[str]):
    config, store = configured
    engine = store.engine
    clock = FakeClock()
    desk = Desk(config, store, clock)
    desk.add_downtime("perizinan-online", "2026-11-20T08:00", "2026-11-20T09:00",
                      "Listrik padam", as_person(config, TEKNIS))
    desk.add_maintenance(["perizinan-online"], "2026-11-27T08:00", "2026-11-27T09:00", None,
                         "Darurat", as_person(config, TEKNIS))
    drp = Drp(config, store, clock)
    run = drp.start("perizinan-online", "drill", as_person(config, KABID), None)
    drp.approve(run, "assess-facility", as_person(config, KABID), None, all_checked=True)
    cfg = ["--config", str(config_dir / "spbe.yaml")]
    assert spbe(capsys, *cfg, "audit", "checkpoint").code == 0
    clean = spbe(capsys, *cfg, "audit", "verify")
    assert clean.code == 0 and "evidence rows match their seals" in clean.out, clean.err
    assert "checkpoints verified" in clean.out and "1 checkpoint(s) agree" in clean.out
    with engine.begin() as conn:
        tamper(conn)
    found = spbe(capsys, *cfg, "audit", "verify")
    assert found.code == 1 and "NOT intact" in found.err
    assert named in found.err, found.err


def one_entry_signed(config_dir: Path, capsys: pytest.CaptureFixture[str],
                     monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A downtime entry through the CLI, then a checkpoint; the CLI's config arguments."""
    monkeypatch.delenv("SPBE_DATABASE_URL", raising=False)
    cfg = ["--config", str(config_dir / "spbe.yaml")]
    assert spbe(capsys, *cfg, "downtime", "add", "perizinan-online", "--start",
                "2026-11-20T08:00", "--end", "2026-11-20T09:00", "--cause", "x",
                "--by", TEKNIS).code == 0
    assert spbe(capsys, *cfg, "audit", "checkpoint").code == 0
    return cfg


def test_the_signing_key_is_created_private_at_first_need(config_dir: Path,
                                                           capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch):
    one_entry_signed(config_dir, capsys, monkeypatch)
    key = load_config(config_dir / "spbe.yaml").audit_key_path
    assert key.stat().st_mode & 0o777 == 0o600
    assert b"PRIVATE KEY" not in Path(f"{key}.pub").read_bytes()


def test_export_writes_entries_and_checkpoints_as_json_lines(
        config_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path):
    import json

    cfg = one_entry_signed(config_dir, capsys, monkeypatch)
    out = tmp_path / "audit.jsonl"
    assert spbe(capsys, *cfg, "audit", "export", "--since", "2026-01-01T00:00",
                "--out", str(out)).code == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    # the token's issue and seal, the downtime entry and its seal, then the checkpoint
    assert [r["type"] for r in rows] == ["entry"] * 4 + ["checkpoint"]
    assert [r["action"] for r in rows[:4]] == ["token.issue", "seal", "downtime.add", "seal"]
    assert rows[4]["entry_hash"] == rows[3]["hash"]
    assert all(b["prev_hash"] == a["hash"] for a, b in pairwise(rows[:4]))
    assert spbe(capsys, *cfg, "audit", "export", "--since", "kemarin").code == 2


def test_a_rotated_key_keeps_its_checkpoints_verifiable(config_dir: Path,
                                                        capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SPBE_DATABASE_URL", raising=False)
    cfg = ["--config", str(config_dir / "spbe.yaml")]
    key = load_config(config_dir / "spbe.yaml").audit_key_path
    for day in ("20", "21"):
        assert spbe(capsys, *cfg, "downtime", "add", "perizinan-online", "--start",
                    f"2026-11-{day}T08:00", "--end", f"2026-11-{day}T09:00", "--cause",
                    "x", "--by", TEKNIS).code == 0
        assert spbe(capsys, *cfg, "audit", "checkpoint").code == 0
        if day == "20":
            old_key = key.read_bytes()
            rotated = spbe(capsys, *cfg, "keys", "rotate")
            assert rotated.code == 0, rotated.err
            assert key.read_bytes() != old_key and key.stat().st_mode & 0o777 == 0o600
    [retired] = key.parent.glob(f"{key.stem}-retired-*.pub")
    both = spbe(capsys, *cfg, "audit", "verify")
    assert both.code == 0 and "verified with 2 key(s)" in both.out, both.err
    assert "keys.rotate" in spbe(capsys, *cfg, "audit", "list").out
    retired.unlink()  # forget the old key: its checkpoints can no longer be trusted
    alone = spbe(capsys, *cfg, "audit", "verify")
    assert alone.code == 1 and "checkpoint 1 (entry" in alone.err
    assert "no trusted audit key made" in alone.err


def test_a_checkpoint_is_signed_only_when_the_chain_moved(config_dir: Path, store: Store):
    """The daemon signs every minute the chain moved (issue 29: no entry stays unsigned
    longer), without a new row each minute of a quiet ledger."""
    from spbe_monitor.ledger.checkpoints import Signer

    signer = Signer.load_or_create(config_dir.parent / "var" / "audit" / "signing.key")
    now = datetime(2026, 11, 28, 3, tzinfo=UTC)
    assert signer.checkpoint(store.engine, now, only_if_moved=True) is None  # empty log
    store.record_act(now, "199002102015032005", "test.act", "x")
    head = signer.checkpoint(store.engine, now, only_if_moved=True)
    assert head is not None
    assert signer.checkpoint(store.engine, now, only_if_moved=True) is None  # quiet
    store.record_act(now, "199002102015032005", "test.act", "y")
    assert signer.checkpoint(store.engine, now, only_if_moved=True) == head + 1


def test_the_key_folder_is_apart_from_the_ledgers_and_an_old_one_is_still_used(
        config_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Issue 29, item 9: a backup of the ledger's folder does not carry the key; a key an
    older version made in var/audit/ keeps signing (with a warning to move it)."""
    one_entry_signed(config_dir, capsys, monkeypatch)
    config = load_config(config_dir / "spbe.yaml")
    key, ledger_dir = config.audit_key_path, config_dir.parent / "var"
    assert key.parent.stat().st_mode & 0o777 == 0o700
    assert ledger_dir not in key.parents
    assert {p.name for p in key.parent.iterdir()} >= {"signing.key", "signing.key.pub",
                                                       "witness.jsonl"}
    old = ledger_dir / "audit"
    old.mkdir(parents=True)
    for p in list(key.parent.iterdir()):
        p.rename(old / p.name)
    moved = load_config(config_dir / "spbe.yaml")
    assert moved.audit_key_path == old / "signing.key"
    assert any("move that folder" in w for w in moved.warnings)
    assert spbe(capsys, "--config", str(config_dir / "spbe.yaml"), "audit", "verify").code == 0


def test_cli_only_use_leaves_no_entry_unsigned(config_dir: Path,
                                              capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch):
    """Issue 29, item 6: with no daemon, a trailing entry could be deleted undetected: the
    CLI never signed. Now the command that wrote it signs and witnesses the head."""
    cfg = one_entry_signed(config_dir, capsys, monkeypatch)
    assert spbe(capsys, *cfg, "downtime", "add", "perizinan-online", "--start",
                "2026-11-21T08:00", "--end", "2026-11-21T09:00", "--cause", "y",
                "--by", TEKNIS).code == 0
    store = Store(db.make_engine(load_config(config_dir / "spbe.yaml").database_url))
    with store.engine.begin() as conn:
        last = conn.execute(text("SELECT max(id) FROM audit_log")).scalar_one()
        signed = conn.execute(text("SELECT max(entry_id) FROM audit_checkpoints")).scalar_one()
        assert signed == last  # no `audit checkpoint` was run after the act
        conn.execute(text("DELETE FROM audit_log WHERE id = :n"), {"n": last})
        conn.execute(text("DELETE FROM audit_checkpoints"))
    found = spbe(capsys, *cfg, "audit", "verify")
    assert found.code == 1 and f"audit entry {last} was deleted (witness" in found.err


def test_two_ledgers_may_share_one_key_folder(config_dir: Path,
                                              capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch):
    """A staging configuration beside production (`../keys` of both): each witness line
    names its ledger, so neither ledger is judged by the other's checkpoints, and a
    checkpoint never skips entries because the other ledger signed last."""
    cfg = one_entry_signed(config_dir, capsys, monkeypatch)
    staging = config_dir.parent / "staging"
    shutil.copytree(config_dir, staging)
    (staging / "spbe.yaml").write_text((staging / "spbe.yaml").read_text().replace(
        "sqlite:///../var/spbe.db", "sqlite:///../var/staging.db"))
    other = ["--config", str(staging / "spbe.yaml")]
    for n in range(3):  # staging signs last, more entries than production has
        assert spbe(capsys, *other, "downtime", "add", "perizinan-online", "--start",
                    f"2026-11-2{n}T08:00", "--end", f"2026-11-2{n}T09:00", "--cause", "x",
                    "--by", TEKNIS).code == 0
    assert spbe(capsys, *cfg, "downtime", "add", "perizinan-online", "--start",
                "2026-11-22T08:00", "--end", "2026-11-22T09:00", "--cause", "y",
                "--by", TEKNIS).code == 0
    for which in (cfg, other):
        found = spbe(capsys, *which, "audit", "verify")
        assert found.code == 0, found.err
    key = load_config(config_dir / "spbe.yaml").audit_key_path
    assert key == load_config(staging / "spbe.yaml").audit_key_path
    ledgers = {json.loads(line)["ledger"]
               for line in (key.parent / "witness.jsonl").read_text().splitlines()}
    assert len(ledgers) == 2
    # production's last entry deleted with its checkpoints: still named against the witness
    store = Store(db.make_engine(load_config(config_dir / "spbe.yaml").database_url))
    with store.engine.begin() as conn:
        last = conn.execute(text("SELECT max(id) FROM audit_log")).scalar_one()
        conn.execute(text("DELETE FROM audit_log WHERE id = :n"), {"n": last})
        conn.execute(text("DELETE FROM audit_checkpoints"))
    found = spbe(capsys, *cfg, "audit", "verify")
    assert found.code == 1 and f"audit entry {last} was deleted (witness" in found.err
    assert spbe(capsys, *other, "audit", "verify").code == 0

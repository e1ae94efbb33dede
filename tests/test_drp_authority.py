"""Who may steer a DRP run, decided in the one room (`authority`) for the CLI and the API
alike: each wrong person refused and audited with the reason, each right one accepted.
(Every act through both channels: test_authority_matrix.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from spbe_monitor.authority import Acting
from spbe_monitor.config.loader import load_config
from spbe_monitor.drp.operations import Drp
from spbe_monitor.errors import BadInput, Refused
from spbe_monitor.ledger.store import Store
from tests.conftest import FakeClock
from tests.identities import as_person, totp_code

PENYEDIA_IZIN = "197001011995031001"
PENYEDIA_SURAT = "197203152000031002"  # eselon II, Penyedia Layanan of another service
KABID = "198004212005011004"  # eselon III, Koordinator Pemulihan of every service
TEKNIS = "199002102015032005"
HELPDESK = "199305052019031006"


@pytest.fixture
def drp(config_dir: Path, store: Store) -> Drp:
    return Drp(load_config(config_dir / "spbe.yaml"), store, FakeClock())


def who(drp: Drp, nip: str):
    return as_person(drp.config, nip)


def refused(drp: Drp, act, reason: str) -> None:
    before = len(drp.store.audit_entries())
    with pytest.raises(Refused, match=reason):
        act()
    [entry] = drp.store.audit_entries()[before:]
    assert entry.outcome == "refused" and reason in str(entry.after)


@pytest.mark.parametrize("nip, mode, reason", [
    (TEKNIS, "drill", "starting a run is for a Koordinator Pemulihan"),
    (HELPDESK, "drill", "starting a run is for a Koordinator Pemulihan"),
    (PENYEDIA_SURAT, "drill", "starting a run is for a Koordinator Pemulihan"),
])
def test_only_a_koordinator_pemulihan_starts_a_run(drp: Drp, nip, mode, reason):
    refused(drp, lambda: drp.start("perizinan-online", mode, who(drp, nip), None), reason)
    assert drp.journal.runs() == []


def test_one_active_run_per_playbook(drp: Drp):
    first = drp.start("perizinan-online", "drill", who(drp, KABID), None)
    refused(drp, lambda: drp.start("perizinan-online", "drill", who(drp, KABID), None),
            f"run {first} of perizinan-online is still active")
    drp.abort(first, "latihan dihentikan", who(drp, KABID))
    assert drp.start("perizinan-online", "drill", who(drp, KABID), None) == first + 1


def test_manual_steps_need_a_person_of_a_covered_service(drp: Drp, config_dir: Path):
    run = drp.start("perizinan-online", "drill", who(drp, KABID), None)
    with pytest.raises(BadInput, match="not open for approval yet"):  # out of order
        drp.approve(run, "promote-replica", who(drp, TEKNIS), None)
    refusals = [e for e in drp.store.audit_entries() if e.outcome == "refused"]
    assert refusals and "not open for approval" in str(refusals[-1].after)
    refused(drp, lambda: drp.approve(run, "promote-replica", who(drp, PENYEDIA_SURAT), None),
            "not responsible for a service this playbook recovers")


@pytest.mark.parametrize("nip, reason", [
    (TEKNIS, "is for a Koordinator Pemulihan"),
    (PENYEDIA_IZIN, "is for a Koordinator Pemulihan"),
])
def test_abort_and_step_decisions_need_the_koordinator(drp: Drp, nip, reason):
    run = drp.start("perizinan-online", "drill", who(drp, KABID), None)
    refused(drp, lambda: drp.abort(run, "bosan", who(drp, nip)), reason)
    refused(drp, lambda: drp.decide(run, "promote-replica", "skip", "tidak perlu", who(drp, nip)),
            reason)
    assert drp.journal.run(run)["state"] == "running"


def test_gates_are_never_skipped_even_by_the_koordinator(drp: Drp):
    run = drp.start("perizinan-online", "drill", who(drp, KABID), None)
    refused(drp, lambda: drp.decide(run, "declare", "skip", "buru-buru", who(drp, KABID)),
            "never skipped")
    drp.decide(run, "promote-replica", "skip", "replika belum ada di latihan ini", who(drp, KABID))
    assert drp.journal.step(run, "promote-replica")["state"] == "skipped"


def test_a_signature_tried_too_early_does_not_spend_the_totp_code(drp: Drp, store: Store):
    """The Penyedia Layanan who tries to declare before the assessments are signed is told
    so, and the same code still works once the declaration is open (codes are accepted once, so
    a refused early try must not consume it)."""
    run = drp.start("perizinan-online", "drill", who(drp, KABID), None)
    code = totp_code(store, PENYEDIA_IZIN, drp.clock.now())
    penyedia = Acting.of(drp.config.person(PENYEDIA_IZIN), code)
    with pytest.raises(BadInput, match="not open for approval yet"):
        drp.approve(run, "declare", penyedia, None)
    drp.approve(run, "assess-facility", who(drp, KABID), None, all_checked=True)
    drp.approve(run, "assess-devices", who(drp, KABID), None, all_checked=True)
    drp.approve(run, "analyse", who(drp, KABID), None, {"category": "akses",
                                                        "downtime_hours": 30})
    drp.approve(run, "declare", penyedia, None)
    assert drp.journal.run(run)["declared_at"] == drp.clock.now()

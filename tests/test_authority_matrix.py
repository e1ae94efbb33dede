"""One matrix of acts × people, run through the CLI (with the person's token, and TOTP code
where the act is eselon II) and through the API (bearer token, X-SPBE-TOTP): both channels
must reach the verdict the matrix states, because one room (`authority`) decides for both.
Each refusal is audited exactly once with its reason and changes nothing else; each
allowed act leaves its own audit trail and no refusal.

Besides the people of people.yaml, each act is tried with no credential, a forged token,
an expired and a revoked token of a person who would be allowed, and (eselon II acts) that
person without a TOTP code."""

from __future__ import annotations

import getpass
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from spbe_monitor.api.tokens import new_token
from spbe_monitor.app import App
from spbe_monitor.config.loader import Config, load_config
from spbe_monitor.drp.operations import Drp
from spbe_monitor.ledger import db
from spbe_monitor.ledger.store import AuditEntry, Store
from spbe_monitor.manual import Desk
from tests.cli_helpers import spbe
from tests.conftest import FakeClock
from tests.identities import as_person, totp_code

PENYEDIA_IZIN = "197001011995031001"  # eselon II, Penyedia Layanan of perizinan-online
PENYEDIA_SURAT = "197203152000031002"  # eselon II, Penyedia Layanan of persuratan-online
KABID = "198004212005011004"  # eselon III, Koordinator Layanan + Pemulihan of every service
TEKNIS = "199002102015032005"  # Pengelola Teknis of every service
HELPDESK = "199305052019031006"  # Pengelola Layanan of perizinan and persuratan
KP_IV = "199101012016011007"  # eselon IV, Koordinator Pemulihan of perizinan-online
KP_SURAT = "198501012010011008"  # eselon III, Koordinator Pemulihan of persuratan-online
STARTER = "197101011996011009"  # eselon II, Penyedia + Koordinator Pemulihan of perizinan
EXTRA_PEOPLE = f"""
  - nip: "{KP_IV}"
    name: Eko Saputra, S.Kom.
    position: Kepala Seksi Infrastruktur
    eselon: IV
    roles: [koordinator_pemulihan]
    services: [perizinan-online]
  - nip: "{KP_SURAT}"
    name: Hendra Gunawan, S.T.
    position: Kepala Bidang Persuratan
    eselon: III
    roles: [koordinator_pemulihan]
    services: [persuratan-online]
  - nip: "{STARTER}"
    name: Dr. Wahyu Hidayat, M.Si.
    position: Sekretaris DPMPPTSP
    eselon: II
    roles: [penyedia_layanan, koordinator_pemulihan]
    services: [perizinan-online]
"""
PEOPLE = [PENYEDIA_IZIN, PENYEDIA_SURAT, KABID, TEKNIS, HELPDESK, KP_IV, KP_SURAT, STARTER]
NO_CREDENTIAL, FORGED, EXPIRED, REVOKED, NO_TOTP = (
    "no-credential", "forged", "expired", "revoked", "no-totp")
CREDENTIAL_CASES = [NO_CREDENTIAL, FORGED, EXPIRED, REVOKED]
BOOK = "perizinan-online"
NOW = FakeClock().now()


@dataclass(frozen=True)
class Act:
    name: str  # the audit action of the act (and of its refusals)
    state: str  # what the ledger holds before: base, run, gated, declared
    cli: list[str]
    api: tuple[str, Mapping[str, object] | None]  # POST path, body
    allowed: frozenset[str]
    eselon_ii: bool = False  # needs a TOTP code as well
    extra: dict[str, str] = field(default_factory=dict)  # person -> refusal reason part


WINDOW: dict[str, object] = {"services": [BOOK], "start": "2099-01-04T01:00",
                             "end": "2099-01-04T03:00", "reason": "Patch"}
REPORTED: dict[str, str] = {"service": BOOK, "start": "2026-11-03T08:00",
                            "end": "2026-11-03T09:00", "cause": "Laporan pengguna"}
MAINTAINERS = frozenset({PENYEDIA_IZIN, STARTER, KABID, TEKNIS})
RECORDERS = MAINTAINERS | {HELPDESK}
PENYEDIA_II = frozenset({PENYEDIA_IZIN, STARTER})
STEERS = frozenset({KABID, STARTER})  # Koordinator Pemulihan, eselon III+, of perizinan

ACTS = [
    Act("maintenance.add", "base",
        ["maintenance", "add", BOOK, "--start", "2099-01-04T01:00", "--end",
         "2099-01-04T03:00", "--reason", "Patch"],
        ("/api/v1/maintenance", WINDOW), MAINTAINERS),
    Act("maintenance.cancel", "base", ["maintenance", "cancel", "1"],
        ("/api/v1/maintenance/1/cancel", None), MAINTAINERS),
    Act("maintenance.approve", "base", ["maintenance", "approve", "2"],
        ("/api/v1/maintenance/2/approve", None), PENYEDIA_II, eselon_ii=True),
    Act("downtime.add", "base",
        ["downtime", "add", BOOK, "--start", REPORTED["start"], "--end", REPORTED["end"],
         "--cause", REPORTED["cause"]], ("/api/v1/outages", REPORTED), RECORDERS),
    Act("downtime.annotate", "base", ["downtime", "annotate", "1", "--cause", "Listrik"],
        ("/api/v1/outages/1/annotate", {"cause": "Listrik"}), RECORDERS),
    Act("site.switch", "base",
        ["site", "switch", BOOK, "--to", "secondary", "--reason", "Failover manual"],
        (f"/api/v1/services/{BOOK}/site", {"site": "secondary", "reason": "Failover manual"}),
        frozenset({KABID, KP_IV, STARTER}), extra={KP_SURAT: "not responsible"}),
    Act("drp.document.approve", "base", ["drp", "approve-document", BOOK],
        (f"/api/v1/drp/playbooks/{BOOK}/approve", None), PENYEDIA_II, eselon_ii=True),
    Act("drp.start", "base", ["drp", "start", BOOK, "--mode", "drill", "--detach"],
        ("/api/v1/drp/runs", {"playbook": BOOK, "mode": "drill"}),
        frozenset({KABID, STARTER, KP_IV})),
    Act("drp.start", "base", ["drp", "start", BOOK, "--mode", "disaster", "--detach"],
        ("/api/v1/drp/runs", {"playbook": BOOK, "mode": "disaster"}), STEERS,
        extra={KP_IV: "needs eselon III"}),
    Act("drp.approve", "run", ["drp", "approve", "1", "assess-facility", "--all-checked"],
        ("/api/v1/drp/runs/1/steps/assess-facility/approve", {"all_checked": True}),
        frozenset({PENYEDIA_IZIN, KABID, STARTER}),
        extra={PENYEDIA_SURAT: "not responsible", KP_SURAT: "not responsible"}),
    Act("drp.approve", "gated", ["drp", "approve", "1", "declare"],
        ("/api/v1/drp/runs/1/steps/declare/approve", None), frozenset({PENYEDIA_IZIN}),
        eselon_ii=True, extra={STARTER: "started the run may not declare"}),
    Act("drp.approve", "declared", ["drp", "approve", "1", "promote-replica"],
        ("/api/v1/drp/runs/1/steps/promote-replica/approve", None),
        frozenset({PENYEDIA_IZIN, KABID, TEKNIS, KP_IV, STARTER})),
    Act("drp.step.skip", "declared",
        ["drp", "step", "1", "promote-replica", "skip", "--reason", "sudah aktif"],
        ("/api/v1/drp/runs/1/steps/promote-replica/decision",
         {"decision": "skip", "reason": "sudah aktif"}), STEERS),
    Act("drp.evaluate", "run", ["drp", "evaluate", "1", "--causes", "Banjir"],
        ("/api/v1/drp/runs/1/evaluation", {"causes": "Banjir"}),
        frozenset({KABID, KP_IV, STARTER}), extra={KP_SURAT: "not a Koordinator Pemulihan "
                                                           "of a service"}),
    Act("drp.reassess", "gated",
        ["drp", "reassess", "1", "--category", "kerusakan_fisik", "--recovery-days", "5"],
        ("/api/v1/drp/runs/1/reassess", {"scenario": {"category": "kerusakan_fisik",
                                                      "recovery_days": 5}}),
        frozenset({PENYEDIA_IZIN, KABID, STARTER}),
        extra={PENYEDIA_SURAT: "not responsible", KP_SURAT: "not responsible"}),
    Act("drp.aborted", "run", ["drp", "abort", "1", "--reason", "latihan dihentikan"],
        ("/api/v1/drp/runs/1/abort", {"reason": "latihan dihentikan"}), STEERS),
]
ACT_IDS = [f"{a.name}:{a.cli[-1] if a.state == 'base' else a.state}-{i}"
           for i, a in enumerate(ACTS)]


def cases(act: Act) -> list[str]:
    return PEOPLE + CREDENTIAL_CASES + ([NO_TOTP] if act.eselon_ii else [])


MATRIX = [(a, c) for a, i in zip(ACTS, ACT_IDS, strict=True) for c in cases(a)]
MATRIX_IDS = [f"{i}-{c}" for a, i in zip(ACTS, ACT_IDS, strict=True) for c in cases(a)]


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated ledger, copied for each test (migrating takes longer than the test)."""
    path = tmp_path_factory.mktemp("ledger") / "spbe.db"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    engine.dispose()
    return path


@dataclass
class World:
    config_path: Path
    config: Config
    store: Store
    tokens: dict[str, str]  # case -> the token presented (absent: none)


def prepare(config_dir: Path, template: Path, act: Act) -> World:
    people = config_dir / "people.yaml"
    people.write_text(people.read_text() + EXTRA_PEOPLE)
    shutil.copy(template, config_dir.parent / "var" / "spbe.db")
    config = load_config(config_dir / "spbe.yaml")
    store = Store(db.make_engine(config.database_url))
    clock = FakeClock(NOW - timedelta(days=1))
    desk, drp = Desk(config, store, clock), Drp(config, store, clock)
    desk.add_maintenance([BOOK], "2099-01-01T01:00", "2099-01-01T02:00", None, "Rutin",
                         as_person(config, TEKNIS))  # window 1, scheduled
    desk.add_maintenance([BOOK], "2026-11-26T08:00", "2026-11-26T09:00", None, "Darurat",
                         as_person(config, TEKNIS))  # window 2, late
    desk.add_downtime(BOOK, "2026-11-02T08:00", "2026-11-02T09:00", "Gangguan",
                      as_person(config, TEKNIS))  # outage 1
    drp.approve_document(BOOK, as_person(config, PENYEDIA_IZIN, store, clock.now()))
    if act.state != "base":
        drp.start(BOOK, "drill", as_person(config, STARTER), None)
    if act.state in ("gated", "declared"):
        for step in ("assess-facility", "assess-devices"):
            drp.approve(1, step, as_person(config, KABID), None, all_checked=True)
        drp.approve(1, "analyse", as_person(config, KABID), None,
                    {"category": "kerusakan_fisik", "recovery_days": 5})
    if act.state == "declared":
        drp.approve(1, "declare", as_person(config, PENYEDIA_IZIN, store, clock.now()), None)
    tokens: dict[str, str] = {}
    person = sorted(act.allowed)[0]  # whose lost credentials the other cases present
    tokens[REVOKED], hashed = new_token()
    store.add_token(person, hashed, "os:test", NOW - timedelta(days=2))
    store.revoke_tokens(person, "os:test", NOW - timedelta(days=1))
    for nip in PEOPLE:
        tokens[nip], hashed = new_token()
        store.add_token(nip, hashed, "os:test", NOW - timedelta(days=2))
    tokens[FORGED] = new_token()[0]
    tokens[EXPIRED], hashed = new_token()
    store.add_token(person, hashed, "os:test", NOW - timedelta(days=100),
                    expires_at=NOW - timedelta(days=10))
    tokens[NO_TOTP] = tokens[person]
    return World(config_dir / "spbe.yaml", config, store, tokens)


def verdict(act: Act, case: str) -> tuple[str, str]:
    """(expected outcome, the part of the reason checked): ok, authentication or refused."""
    if case in CREDENTIAL_CASES:
        return "authentication", "token" if case != NO_CREDENTIAL else "credential"
    if case == NO_TOTP:
        return "refused", "TOTP"
    if case in act.allowed:
        return "ok", ""
    return "refused", act.extra.get(case, "")


def new_entries(store: Store, before: int) -> list[AuditEntry]:
    return store.audit_entries()[before:]


def check(world: World, act: Act, case: str, before: int, succeeded: bool,
          refusal_actor: str) -> None:
    outcome, reason = verdict(act, case)
    entries = new_entries(world.store, before)
    refusals = [e for e in entries if e.outcome == "refused"]
    if outcome == "ok":
        assert succeeded, (act.name, case)
        assert refusals == [] and entries, "an allowed act leaves its trail, no refusal"
        return
    assert not succeeded, (act.name, case)
    if refusal_actor.startswith("api:"):  # a 401 names nobody: counted, not audited
        assert entries == [], [(e.action, e.outcome) for e in entries]
        return
    assert len(entries) == 1 and len(refusals) == 1, [(e.action, e.outcome) for e in entries]
    [entry] = refusals  # audited once, and nothing else changed
    assert entry.actor == refusal_actor
    assert entry.action == act.name or outcome == "authentication"
    assert entry.after and reason in entry.after["reason"], entry.after


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No stored `spbe login` token of the OS user can stand in for the case's."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("SPBE_TOKEN", raising=False)
    monkeypatch.delenv("SPBE_DATABASE_URL", raising=False)


def totp_for_case(world: World, act: Act, case: str, when: datetime) -> str | None:
    """The code the person types: eselon II acts, and people who enrolled."""
    if not act.eselon_ii or case not in PEOPLE:
        return None
    return totp_code(world.store, case, when, world.config.secrets_key_path)


@pytest.mark.parametrize(("act", "case"), MATRIX, ids=MATRIX_IDS)
def test_cli_verdicts_follow_the_matrix(act: Act, case: str, config_dir: Path,
                                        template: Path, isolated_home: None,
                                        capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    world = prepare(config_dir, template, act)
    if case in world.tokens:
        monkeypatch.setenv("SPBE_TOKEN", world.tokens[case])
    code = totp_for_case(world, act, case, datetime.now(UTC))
    before = len(world.store.audit_entries())
    r = spbe(capsys, "--config", str(world.config_path), *act.cli,
             *(["--totp", code] if code else []))
    assert r.code in (0, 3), r.err
    if r.code == 3:
        assert r.err.startswith("error: ")
    actor = f"os:{getpass.getuser()}" if case in CREDENTIAL_CASES else (
        case if case in PEOPLE else sorted(act.allowed)[0])
    check(world, act, case, before, r.code == 0, actor)


@pytest.mark.parametrize(("act", "case"), MATRIX, ids=MATRIX_IDS)
async def test_api_verdicts_follow_the_same_matrix(act: Act, case: str, config_dir: Path,
                                                   template: Path, isolated_home: None
                                                   ) -> None:
    world = prepare(config_dir, template, act)
    client = TestClient(TestServer(App(world.config, world.store, FakeClock())._routes()))
    await client.start_server()
    headers = {}
    if case in world.tokens:
        headers["Authorization"] = f"Bearer {world.tokens[case]}"
    code = totp_for_case(world, act, case, NOW)
    if code:
        headers["X-SPBE-TOTP"] = code
    before = len(world.store.audit_entries())
    path, body = act.api
    try:
        resp = await client.post(path, json=body, headers=headers)
        status, text = resp.status, await resp.text()
    finally:
        await client.close()
    outcome, _ = verdict(act, case)
    want = {"ok": (200, 201), "refused": (403,), "authentication": (401,)}[outcome]
    assert status in want, (status, text)
    actor = "api:127.0.0.1" if case in CREDENTIAL_CASES else (
        case if case in PEOPLE else sorted(act.allowed)[0])
    check(world, act, case, before, status < 300, actor)

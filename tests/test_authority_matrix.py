"""One matrix of manual acts × people, run through the CLI (with the person's token) and the
API (with the same token): both channels get the same verdict from the one place that
decides (manual.Desk), and every refusal is audited once with the reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from spbe_monitor.app import App
from spbe_monitor.config.loader import load_config
from spbe_monitor.ledger.store import Store
from tests.cli_helpers import spbe, token_for
from tests.conftest import FakeClock

PENYEDIA_IZIN = "197001011995031001"  # eselon II, Penyedia Layanan of perizinan-online
PENYEDIA_SURAT = "197203152000031002"  # eselon II, Penyedia Layanan of persuratan-online
KABID = "198004212005011004"  # eselon III, Koordinator Layanan of every service
TEKNIS = "199002102015032005"  # Pengelola Teknis of every service
HELPDESK = "199305052019031006"  # Pengelola Layanan of perizinan and persuratan


@dataclass(frozen=True)
class Act:
    name: str
    cli: list[str]
    api: tuple[str, str, dict[str, object]] | None  # method, path, body
    allowed: frozenset[str]


WINDOW: dict[str, object] = {"services": ["perizinan-online"], "start": "2099-01-04T01:00",
          "end": "2099-01-04T03:00", "reason": "Patch"}
ACTS = [
    Act("maintenance.add",
        ["maintenance", "add", "perizinan-online", "--start", "2099-01-04T01:00", "--end",
         "2099-01-04T03:00", "--reason", "Patch"],
        ("POST", "/api/v1/maintenance", WINDOW),
        frozenset({PENYEDIA_IZIN, KABID, TEKNIS})),
    Act("maintenance.cancel", ["maintenance", "cancel", "1"],
        ("POST", "/api/v1/maintenance/1/cancel", {}),
        frozenset({PENYEDIA_IZIN, KABID, TEKNIS})),
    Act("downtime.add",
        ["downtime", "add", "perizinan-online", "--start", "2026-11-02T08:00", "--end",
         "2026-11-02T09:00", "--cause", "Laporan pengguna"], None,
        frozenset({PENYEDIA_IZIN, KABID, TEKNIS, HELPDESK})),
]
PEOPLE = [PENYEDIA_IZIN, PENYEDIA_SURAT, KABID, TEKNIS, HELPDESK]


def prepare(config_dir: Path) -> Store:
    """A ledger with window 1 (perizinan-online) to cancel; tokens for everyone."""
    from spbe_monitor.ledger import db
    from spbe_monitor.manual import Desk

    config = load_config(config_dir / "spbe.yaml")
    for nip in PEOPLE:
        token_for(config_dir / "spbe.yaml", nip)
    store = Store(db.make_engine(config.database_url))
    Desk(config, store, FakeClock()).add_maintenance(
        ["perizinan-online"], "2099-01-01T01:00", "2099-01-01T02:00", None, "x", TEKNIS)
    return store


def refusals(store: Store, action: str) -> list[str]:
    return [e.actor for e in store.audit_entries()
            if e.outcome == "refused" and e.action == action]


@pytest.mark.parametrize("act", ACTS, ids=lambda a: a.name)
@pytest.mark.parametrize("nip", PEOPLE)
def test_cli_verdicts_follow_the_matrix(act: Act, nip: str, config_dir: Path,
                                        capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SPBE_DATABASE_URL", raising=False)
    store = prepare(config_dir)
    r = spbe(capsys, "--config", str(config_dir / "spbe.yaml"), *act.cli, "--by", nip)
    if nip in act.allowed:
        assert r.code == 0, r.err
        assert refusals(store, act.name) == []
    else:
        assert r.code == 3 and r.err.startswith("error: ")
        assert refusals(store, act.name) == [nip]  # audited once, with who tried


@pytest.mark.parametrize("act", [a for a in ACTS if a.api], ids=lambda a: a.name)
@pytest.mark.parametrize("nip", PEOPLE)
async def test_api_verdicts_follow_the_same_matrix(act: Act, nip: str, config_dir: Path,
                                                   monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SPBE_DATABASE_URL", raising=False)
    store = prepare(config_dir)
    client = TestClient(TestServer(App(load_config(config_dir / "spbe.yaml"), store,
                                       FakeClock())._routes()))
    await client.start_server()
    assert act.api is not None
    method, path, body = act.api
    try:
        resp = await client.request(method, path, json=body, headers={
            "Authorization": f"Bearer {token_for(config_dir / 'spbe.yaml', nip)}"})
        status = resp.status
    finally:
        await client.close()
    want: Callable[[int], bool] = (lambda s: s in (200, 201)) if nip in act.allowed \
        else (lambda s: s == 403)
    assert want(status), (nip, status)
    assert refusals(store, act.name) == ([] if nip in act.allowed else [nip])

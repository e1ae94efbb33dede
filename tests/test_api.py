"""/api/v1 and /metrics in-process against the real aiohttp app: 401, 403, 400 and 404 with
reasons, refusals audited, and a schemathesis run against the served OpenAPI document."""

import json
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from spbe_monitor.api.tokens import new_token
from spbe_monitor.app import App
from spbe_monitor.config.loader import load_config
from spbe_monitor.ledger.store import Store
from tests.conftest import SPBE, FakeClock
from tests.daemon import Daemon
from tests.identities import as_person, totp_code
from tests.pg import free_port
from tests.web_clients import auth, daemon_client, tokens_for

PENYEDIA_IZIN = "197001011995031001"
PENYEDIA_SURAT = "197203152000031002"
KABID = "198004212005011004"  # eselon III, koordinator layanan
TEKNIS = "199002102015032005"
HELPDESK = "199305052019031006"  # pengelola layanan


@pytest.fixture
async def api(config_dir: Path, monkeypatch: pytest.MonkeyPatch
              ) -> AsyncIterator[tuple[TestClient[web.Request, web.Application], Store,
                                       dict[str, str]]]:
    monkeypatch.delenv("SPBE_DATABASE_URL", raising=False)
    async with daemon_client(config_dir) as (client, store, clock):
        tokens = tokens_for(store, clock, PENYEDIA_IZIN, PENYEDIA_SURAT, KABID, TEKNIS, HELPDESK)
        yield client, store, tokens


WINDOW = {"services": ["perizinan-online"], "start": "2099-01-04T01:00",
          "end": "2099-01-04T03:00", "rrule": "FREQ=WEEKLY;BYDAY=SU", "reason": "Patch"}


PRIVATE_READS = ["/api/v1/services", "/api/v1/availability?month=2026-10",
                 "/api/v1/outages", "/api/v1/maintenance", "/api/v1/drp/runs",
                 "/api/v1/drp/runs/1"]


async def test_reads_need_a_token_and_bad_queries_say_why(api):
    """Before, every read was open: officials' NIPs, outage causes, DRP notes and command
    output to anyone who reached the port (issue 28, item 4)."""
    client, store, tokens = api
    for path in PRIVATE_READS:
        for headers in ({}, auth("spbe_forged")):
            r = await client.get(path, headers=headers)
            assert r.status == 401 and r.headers["WWW-Authenticate"] == "Bearer", path
            assert "token" in (await r.json())["error"]
    for path in ("/api/v1/status", "/api/v1/openapi.json", "/-/healthy", "/metrics"):
        assert (await client.get(path)).status == 200, path  # no personal data there
    assert [e for e in store.audit_entries() if e.outcome == "refused"] == []  # counted
    helpdesk = auth(tokens[HELPDESK])  # any person may read
    r = await client.get("/api/v1/services", headers=helpdesk)
    assert r.status == 200 and {s["id"] for s in await r.json()} >= {"perizinan-online"}
    r = await client.get("/api/v1/availability", headers=helpdesk)  # this month by default
    assert r.status == 200 and len({f["period"] for f in await r.json()}) == 1
    r = await client.get("/api/v1/availability?month=2026-13", headers=helpdesk)
    assert r.status == 400 and "malformed month" in (await r.json())["error"]
    r = await client.get("/api/v1/availability?month=2026-10&service=nope", headers=helpdesk)
    assert r.status == 400 and "unknown service" in (await r.json())["error"]
    r = await client.get("/api/v1/availability?month=2026-10&service=perizinan-online",
                         headers=helpdesk)
    assert r.status == 200 and (await r.json())[0]["commitment_seconds"] == 31 * 86400
    doc = await (await client.get("/api/v1/openapi.json")).json()
    assert doc["openapi"].startswith("3.") and "/api/v1/maintenance" in doc["paths"]
    metrics = await (await client.get("/metrics")).text()
    assert 'spbe_build_info{version="0.1.0"} 1.0' in metrics


async def test_writes_need_a_valid_token(api):
    client, store, tokens = api
    r = await client.post("/api/v1/maintenance", json=WINDOW)
    assert r.status == 401 and r.headers["WWW-Authenticate"] == "Bearer"
    r = await client.post("/api/v1/maintenance", json=WINDOW, headers=auth("spbe_forged"))
    assert r.status == 401 and "unknown, expired or revoked" in (await r.json())["error"]
    store.revoke_tokens(TEKNIS, "test", FakeClock().now())
    r = await client.post("/api/v1/maintenance", json=WINDOW, headers=auth(tokens[TEKNIS]))
    assert r.status == 401
    assert store.maintenance() == []
    # nobody named: no audit entry each (a flood target), a count an alert watches
    assert [e for e in store.audit_entries() if e.outcome == "refused"] == []
    metrics = await (await client.get("/metrics")).text()
    count = re.search(r'spbe_auth_refusals_total\{kind="token"\} ([0-9.]+)', metrics)
    assert count and float(count.group(1)) >= 3


@pytest.mark.parametrize("body, reason", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    (json.dumps({**WINDOW, "colour": "blue"}), "unknown keys: colour"),
    (json.dumps({k: v for k, v in WINDOW.items() if k != "reason"}), "missing keys: reason"),
    (json.dumps({**WINDOW, "services": "perizinan-online"}), "non-empty list"),
    (json.dumps({**WINDOW, "services": ["nope"]}), "unknown service"),
    (json.dumps({**WINDOW, "end": "2099-01-04T00:00"}), "end must be after start"),
    (json.dumps({**WINDOW, "rrule": "FREQ=SOMETIMES"}), "rrule: "),
    (json.dumps({**WINDOW, "start": 5}), "start must be a string"),
])
async def test_malformed_input_is_400_with_the_reason(api, body, reason):
    client, store, tokens = api
    r = await client.post("/api/v1/maintenance", data=body,
                          headers={**auth(tokens[PENYEDIA_IZIN]),
                                   "Content-Type": "application/json"})
    assert r.status == 400 and reason in (await r.json())["error"]
    assert store.maintenance() == []


async def test_roles_and_eselon_are_enforced_and_refusals_audited(api):
    client, store, tokens = api
    r = await client.post("/api/v1/maintenance", json=WINDOW, headers=auth(tokens[HELPDESK]))
    assert r.status == 403 and "Pengelola Teknis" in (await r.json())["error"]
    r = await client.post("/api/v1/maintenance", json=WINDOW,
                          headers=auth(tokens[PENYEDIA_SURAT]))
    assert r.status == 403 and "not responsible for perizinan-online" in (
        await r.json())["error"]
    late = {**WINDOW, "start": "2026-11-02T01:00", "end": "2026-11-02T03:00", "rrule": None}
    r = await client.post("/api/v1/maintenance", json=late, headers=auth(tokens[TEKNIS]))
    assert r.status == 201
    created = await r.json()
    assert created["registered_late"] is True
    wid = created["id"]
    for nip, why in ((KABID, "only a Penyedia Layanan"),
                     (PENYEDIA_SURAT, "not a Penyedia Layanan of any service")):
        r = await client.post(f"/api/v1/maintenance/{wid}/approve", headers=auth(tokens[nip]))
        assert r.status == 403 and why in (await r.json())["error"]
    r = await client.post(f"/api/v1/maintenance/{wid}/approve",
                          headers=auth(tokens[PENYEDIA_IZIN]))
    assert r.status == 403 and "needs a TOTP code" in (await r.json())["error"]
    r = await client.post(f"/api/v1/maintenance/{wid}/approve", headers={
        **auth(tokens[PENYEDIA_IZIN]),
        "X-SPBE-TOTP": totp_code(store, PENYEDIA_IZIN, FakeClock().now())})
    assert r.status == 200 and (await r.json())["approved_for"] == ["perizinan-online"]
    refused = [(e.actor, e.action) for e in store.audit_entries() if e.outcome == "refused"]
    assert refused == [(HELPDESK, "maintenance.add"), (PENYEDIA_SURAT, "maintenance.add"),
                       (KABID, "maintenance.approve"), (PENYEDIA_SURAT, "maintenance.approve"),
                       (PENYEDIA_IZIN, "maintenance.approve")]
    r = await client.post("/api/v1/maintenance/999/cancel", headers=auth(tokens[TEKNIS]))
    assert r.status == 404
    r = await client.post("/api/v1/maintenance/x/cancel", headers=auth(tokens[TEKNIS]))
    assert r.status == 400
    r = await client.post(f"/api/v1/maintenance/{wid}/cancel", headers=auth(tokens[HELPDESK]))
    assert r.status == 403
    r = await client.post(f"/api/v1/maintenance/{wid}/cancel", headers=auth(tokens[TEKNIS]))
    assert r.status == 200
    r = await client.post(f"/api/v1/maintenance/{wid}/cancel", headers=auth(tokens[TEKNIS]))
    assert r.status == 400 and "already cancelled" in (await r.json())["error"]


@pytest.mark.slow
def test_schemathesis_finds_no_server_error(config_dir: Path, tmp_path: Path):
    port = free_port()
    settings = config_dir / "spbe.yaml"
    settings.write_text(settings.read_text().replace("port: 9740", f"port: {port}"))
    daemon = Daemon(settings, port)
    try:
        token = subprocess.run([*SPBE, "--config", str(settings), "token", "issue", TEKNIS],
                               capture_output=True, text=True, check=True).stdout.strip()
        st = Path(sys.executable).parent / "schemathesis"
        result = subprocess.run(
            [str(st), "run", f"http://127.0.0.1:{port}/api/v1/openapi.json",
             "--checks", "not_a_server_error", "-H", f"Authorization: Bearer {token}",
             "--max-examples", "40", "--seed", "1"],
            capture_output=True, text=True, timeout=600, cwd=tmp_path)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    finally:
        assert daemon.stop() == 0


async def test_drp_gates_through_the_api(api, config_dir):
    from spbe_monitor.drp.operations import Drp

    client, store, tokens = api
    config = load_config(config_dir / "spbe.yaml")
    Drp(config, store, FakeClock()).start("perizinan-online", "drill",
                                          as_person(config, KABID), None)
    url = "/api/v1/drp/runs/1/steps/{}/approve"
    r = await client.post(url.format("assess-facility"))
    assert r.status == 401
    r = await client.post(url.format("assess-facility"), headers=auth(tokens[TEKNIS]))
    assert r.status == 403 and "eselon III" in (await r.json())["error"]
    for body, why in (({}, "has a checklist"), ({"checked": ["Genset"]}, "not on the checklist"),
                      ({"checked": ["Catu daya dan UPS"]}, "unticked items need --note")):
        r = await client.post(url.format("assess-facility"), headers=auth(tokens[KABID]),
                              json=body)
        assert r.status == 400 and why in (await r.json())["error"]
    r = await client.post(url.format("assess-facility"), headers=auth(tokens[KABID]),
                          json={"checked": ["Catu daya dan UPS", "Suhu ruang server"],
                                "note": "akses fisik tertutup banjir"})
    assert r.status == 200 and (await r.json())["checklist"] == {
        "Catu daya dan UPS": True, "Suhu ruang server": True, "Akses fisik ke Pusat Data": False}
    for step in ("assess-devices",):
        r = await client.post(url.format(step), headers=auth(tokens[KABID]),
                              json={"note": "diperiksa", "all_checked": True})
        assert r.status == 200, await r.text()
    r = await client.post(url.format("analyse"), headers=auth(tokens[KABID]))
    assert r.status == 400 and "Tabel 4.3" in (await r.json())["error"]
    r = await client.post(url.format("analyse"), headers=auth(tokens[KABID]),
                          json={"scenario": {"category": "banjir"}})
    assert r.status == 400 and "unknown category" in (await r.json())["error"]
    r = await client.post(url.format("analyse"), headers=auth(tokens[KABID]),
                          json={"scenario": {"category": "kerusakan_fisik",
                                             "recovery_days": -1}})
    assert r.status == 400
    r = await client.post(url.format("analyse"), headers=auth(tokens[KABID]),
                          json={"scenario": {"category": "kerusakan_fisik", "recovery_days": 5}})
    assert r.status == 200
    r = await client.post(url.format("declare"), headers=auth(tokens[KABID]))
    assert r.status == 403 and "eselon II" in (await r.json())["error"]
    r = await client.post(url.format("declare"), headers=auth(tokens[PENYEDIA_SURAT]))
    assert r.status == 403 and "not a Penyedia Layanan of a service" in (await r.json())["error"]
    r = await client.post(url.format("declare"), headers={
        **auth(tokens[PENYEDIA_IZIN]),
        "X-SPBE-TOTP": totp_code(store, PENYEDIA_IZIN, FakeClock().now())})
    assert r.status == 200
    reading = auth(tokens[HELPDESK])
    run = await (await client.get("/api/v1/drp/runs/1", headers=reading)).json()
    assert run["declared_at"] is not None
    declare = next(s for s in run["steps"] if s["id"] == "declare")
    assert declare["actor"] == PENYEDIA_IZIN
    assert (await client.get("/api/v1/drp/runs/9", headers=reading)).status == 404
    assert (await client.get("/api/v1/drp/runs/x", headers=reading)).status == 400
    refused = [e.actor for e in store.audit_entries() if e.action == "drp.approve"]
    # a 401 names nobody: counted (spbe_auth_refusals_total), not audited; persons are
    assert refused == [TEKNIS, KABID, PENYEDIA_SURAT]
    assert store.verify_audit()[1] is None


async def test_200_parallel_authorised_writes_leave_the_chain_valid(configured):
    """Writes race each other (and their seals) for the head of the audit chain."""
    import asyncio

    from spbe_monitor.ledger.evidence import unsealed_changes

    config, store = configured
    clock = FakeClock()
    token, hashed = new_token()
    store.add_token(TEKNIS, hashed, "test", clock.now())
    client = TestClient(TestServer(App(config, store, clock)._routes()))
    await client.start_server()
    body = dict(WINDOW, rrule=None)

    async def one(i: int) -> int:
        resp = await client.post("/api/v1/maintenance", json={**body, "reason": f"Patch {i}"},
                                 headers=auth(token))
        return resp.status

    try:
        statuses = await asyncio.gather(*(one(i) for i in range(200)))
    finally:
        await client.close()
    assert statuses == [201] * 200
    count, problem = store.verify_audit()
    assert problem is None and count >= 200 * 3  # entry, window seal, services seal
    with store.engine.connect() as conn:
        assert unsealed_changes(conn) == []
    assert len(store.maintenance()) == 200

"""Every input has a limit and a reason (issue 28, item 8): before, JSON nested deeply
answered 500 and a 900 KB outage cause was accepted into a form an official signs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from spbe_monitor.ledger.store import Store
from spbe_monitor.manual import MAX_TEXT
from tests.web_clients import daemon_client, tokens_for

TEKNIS = "199002102015032005"  # Pengelola Teknis of perizinan-online


@pytest.fixture
async def api(config_dir: Path, monkeypatch: pytest.MonkeyPatch
              ) -> AsyncIterator[tuple[TestClient[web.Request, web.Application], Store, str]]:
    monkeypatch.delenv("SPBE_DATABASE_URL", raising=False)
    async with daemon_client(config_dir) as (client, store, clock):
        value = tokens_for(store, clock, TEKNIS)[TEKNIS]
        yield client, store, value


def outage(cause: str) -> dict[str, str]:
    return {"service": "perizinan-online", "start": "2026-11-03T08:00",
            "end": "2026-11-03T09:30", "cause": cause}


async def test_deep_json_is_a_400_with_a_reason(api):
    client, store, token = api
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for depth in (9, 100_000):
        body = '{"service": ' + "[" * depth + "]" * depth + "}"
        r = await client.post("/api/v1/outages", data=body, headers=headers)
        assert r.status == 400 and "nests deeper than 8 levels" in (await r.json())["error"]
    assert store.outages() == []


async def test_a_cause_is_a_paragraph_not_a_file(api):
    client, store, token = api
    headers = {"Authorization": f"Bearer {token}"}
    r = await client.post("/api/v1/outages", json=outage("x" * 900_000), headers=headers)
    assert r.status == 400 and "at most 4,000" in (await r.json())["error"]
    r = await client.post("/api/v1/outages", json=outage("x" * (MAX_TEXT + 1)),
                          headers=headers)
    assert r.status == 400 and "has 2,001 characters; at most 2,000" in (
        await r.json())["error"]
    assert store.outages() == []
    r = await client.post("/api/v1/outages", json=outage("Listrik padam " * 100),
                          headers=headers)
    assert r.status == 201
    r = await client.post("/api/v1/outages", data=b"x" * (1024 * 1024 + 1), headers=headers)
    assert r.status == 413  # bodies over 1 MB: the server's own limit

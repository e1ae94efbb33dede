"""Guessing a second factor is throttled per person (issue 28, item 3): before, 1,644
wrong codes at 54/s were answered and the right one then accepted. Now five wrong codes,
then a wait that doubles every five more in a day; every try is audited, the right code
within the wait is refused too, and after the wait it works."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from spbe_monitor.ledger.store import Store
from spbe_monitor.secondfactor import FIRST_WAIT, FREE_TRIES, throttled_until
from tests.conftest import FakeClock
from tests.identities import totp_code
from tests.web_clients import daemon_client, tokens_for

PENYEDIA_IZIN = "197001011995031001"  # eselon II, Penyedia Layanan of perizinan-online
T0 = datetime(2026, 11, 28, 3, tzinfo=UTC)


def test_five_tries_then_a_wait_that_doubles():
    minutes = [T0 + timedelta(minutes=m) for m in range(4)]
    assert throttled_until(minutes, T0 + timedelta(minutes=4)) is None  # four: free
    five = [*minutes, T0 + timedelta(minutes=4)]
    assert throttled_until(five, T0 + timedelta(minutes=5)) == five[-1] + FIRST_WAIT
    assert throttled_until(five, five[-1] + FIRST_WAIT) is None  # the wait is over
    ten = [T0 + timedelta(minutes=m) for m in range(10)]
    assert throttled_until(ten, ten[-1]) == ten[-1] + 2 * FIRST_WAIT
    many = [T0 + timedelta(minutes=m) for m in range(200)]
    assert throttled_until(many, many[-1]) == many[-1] + 64 * FIRST_WAIT  # capped: 16 h
    old = [T0 - timedelta(hours=25)] * 50  # a day later they are forgotten
    assert throttled_until(old, T0) is None


@pytest.fixture
async def api(config_dir: Path, monkeypatch: pytest.MonkeyPatch
              ) -> AsyncIterator[tuple[TestClient[web.Request, web.Application], Store,
                                       FakeClock, str]]:
    monkeypatch.delenv("SPBE_DATABASE_URL", raising=False)
    async with daemon_client(config_dir) as (client, store, clock):
        value = tokens_for(store, clock, PENYEDIA_IZIN)[PENYEDIA_IZIN]
        yield client, store, clock, value


async def test_wrong_codes_lock_the_person_out_of_eselon_ii_acts_for_a_while(api):
    client, store, clock, token = api
    right = totp_code(store, PENYEDIA_IZIN, clock.now())
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    async def approve(code: str) -> tuple[int, str]:
        r = await client.post("/api/v1/drp/playbooks/perizinan-online/approve", headers={
            "Authorization": f"Bearer {token}", "X-SPBE-TOTP": code})
        return r.status, (await r.json()).get("error", "")

    for _ in range(FREE_TRIES):
        assert await approve(wrong) == (403, "the TOTP code is wrong or expired")
        clock.advance(1)
    status, reason = await approve(totp_code(store, PENYEDIA_IZIN, clock.now()))
    assert status == 403 and reason.startswith("too many wrong TOTP codes: try again after ")
    assert reason.endswith(" WIB")  # a time the official reads, in the service's zone
    refusals = [e for e in store.audit_entries() if e.outcome == "refused"]
    assert len(refusals) == FREE_TRIES + 1  # every try audited, the throttled one too
    clock.advance(FIRST_WAIT.total_seconds())
    status, _ = await approve(totp_code(store, PENYEDIA_IZIN, clock.now()))
    assert status == 200

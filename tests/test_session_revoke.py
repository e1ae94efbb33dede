"""A credential's end ends its sessions (issue 28, item 6). Before: revoking a person's
tokens left their password and open Konsol sessions working, and nothing could end them.
Now revoking the tokens, setting a new password, or `spbe session revoke NIP` ends every
Konsol session of the person at once; `spbe session list` shows who is logged in."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from spbe_monitor.config.loader import load_config
from spbe_monitor.identity import hash_password
from spbe_monitor.konsol.sessions import Sessions
from spbe_monitor.ledger.store import Store
from spbe_monitor.secretbox import SecretBox
from tests.cli_helpers import spbe
from tests.conftest import FakeClock
from tests.web_clients import PASSWORD, Client, daemon_client, log_in

TEKNIS = "199002102015032005"


@pytest.fixture
async def konsol(config_dir: Path, monkeypatch: pytest.MonkeyPatch
                 ) -> AsyncIterator[tuple[Client, Store, FakeClock]]:
    monkeypatch.delenv("SPBE_DATABASE_URL", raising=False)
    async with daemon_client(config_dir) as (client, store, clock):
        store.set_password(TEKNIS, hash_password(PASSWORD), clock.now())
        yield client, store, clock


async def logged_in(client: Client) -> bool:
    return (await client.get("/konsol/", allow_redirects=False)).status == 200


async def test_revoking_tokens_or_a_new_password_ends_the_sessions(konsol):
    client, store, clock = konsol
    assert (await log_in(client, TEKNIS)).status == 303 and await logged_in(client)
    store.revoke_tokens(TEKNIS, "os:root", clock.now())
    assert not await logged_in(client)
    assert (await log_in(client, TEKNIS)).status == 303 and await logged_in(client)
    store.set_password(TEKNIS, hash_password("sandi baru yang panjang sekali"), clock.now())
    assert not await logged_in(client)
    [revoke] = [e for e in store.audit_entries() if e.action == "token.revoke"]
    assert revoke.after == {"revoked": 0, "sessions_ended": 1}


async def test_an_administrator_lists_and_ends_a_persons_sessions(
        konsol, config_dir: Path, capsys: pytest.CaptureFixture[str]):
    client, store, _ = konsol
    assert (await log_in(client, TEKNIS)).status == 303
    args = ("--config", str(config_dir / "spbe.yaml"))
    box = SecretBox.load_or_create(load_config(config_dir / "spbe.yaml").secrets_key_path)
    Sessions(store.engine, box).start(TEKNIS, datetime.now(UTC))  # one used just now, elsewhere
    listed = json.loads(spbe(capsys, *args, "session", "list", "--json").out)
    assert [s["nip"] for s in listed] == [TEKNIS]  # live ones only: the other is idle
    assert all(len(s["sha256_prefix"]) == 12 for s in listed)
    r = spbe(capsys, *args, "session", "revoke", TEKNIS)
    assert r.code == 0 and r.out == f"2 Konsol session(s) of {TEKNIS} ended\n"
    assert not await logged_in(client)
    settings = config_dir / "spbe.yaml"  # an install whose administrator is another user
    settings.write_text(settings.read_text().replace("admins: [root, spbe]", "admins: [spbe]"))
    for act in (("list",), ("revoke", TEKNIS)):
        r = spbe(capsys, *args, "session", *act)
        assert r.code == 3 and "is not an administrator" in r.err


async def test_a_session_row_written_into_the_database_opens_nothing(konsol, config_dir: Path):
    """Issue 29, item 3: a database administrator inserts a session for an official with a
    cookie of their choosing (its SHA-256, as the ledger used to keep): not logged in."""
    import hashlib

    from sqlalchemy import insert

    from spbe_monitor.konsol.core import COOKIE
    from spbe_monitor.ledger.tables import konsol_sessions

    client, store, clock = konsol
    cookie = "dibuat-oleh-admin-basis-data"
    with store.engine.begin() as conn:
        conn.execute(insert(konsol_sessions).values(
            id_sha256=hashlib.sha256(cookie.encode()).hexdigest(), nip=TEKNIS, csrf="x",
            created_at=clock.now(), last_seen_at=clock.now()))
    client.session.cookie_jar.update_cookies({COOKIE: cookie})
    assert not await logged_in(client)
    # the same row keyed as the daemon keys it (which needs the key folder) would open: the
    # cookie did reach the Konsol, and only the key made the difference
    box = SecretBox.load_or_create(load_config(config_dir / "spbe.yaml").secrets_key_path)
    with store.engine.begin() as conn:
        conn.execute(insert(konsol_sessions).values(
            id_sha256=box.digest("konsol-session", cookie), nip=TEKNIS, csrf="x",
            created_at=clock.now(), last_seen_at=clock.now()))
    assert await logged_in(client)

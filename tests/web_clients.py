"""The daemon's HTTP application (API and Konsol) on a loopback test server, over the
bundled example's config with a ledger of its own and an injected clock; and logging in to
the Konsol as a browser would (the login form's CSRF token, then NIP and password)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from spbe_monitor.app import App
from spbe_monitor.config.loader import load_config
from spbe_monitor.ledger import db
from spbe_monitor.ledger.store import Store
from tests.conftest import FakeClock

Client = TestClient[web.Request, web.Application]
PASSWORD = "kata sandi yang panjang"


@asynccontextmanager
async def daemon_client(config_dir: Path) -> AsyncIterator[tuple[Client, Store, FakeClock]]:
    """The app of a daemon whose clock the test moves; DRP runs started in the Konsol are
    not driven here (a runner would advance the injected clock): the browser test drives
    them in a real daemon."""
    config = load_config(config_dir / "spbe.yaml")
    engine = db.make_engine(config.database_url)
    db.upgrade(engine)
    store = Store(engine)
    clock = FakeClock()
    app = App(config, store, clock)
    app.drives_runs = False
    client = TestClient(TestServer(app._routes()))
    await client.start_server()
    try:
        yield client, store, clock
    finally:
        await client.close()
        engine.dispose()


def tokens_for(store: Store, clock: FakeClock, *nips: str) -> dict[str, str]:
    """A bearer token for each person, minted into the ledger as `spbe token issue` would."""
    from spbe_monitor.api.tokens import new_token

    tokens = {}
    for nip in nips:
        value, hashed = new_token()
        store.add_token(nip, hashed, "test", clock.now())
        tokens[nip] = value
    return tokens


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def form_token(client: Client, path: str = "/konsol/masuk") -> str:
    page = await (await client.get(path)).text()
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


async def log_in(client: Client, nip: str, password: str = PASSWORD) -> ClientResponse:
    token = await form_token(client)
    return await client.post("/konsol/masuk", data={"nip": nip, "password": password,
                                                    "csrf": token}, allow_redirects=False)

"""The http prober against real aiohttp servers on loopback (HTTP, and HTTPS with a CA the
test creates): success and every failure mode it reports."""

import asyncio
import ssl
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp import web

from spbe_monitor.monitor.runner import run_once
from spbe_monitor.probers import http
from spbe_monitor.probers.base import ErrorKind
from spbe_monitor.probers.context import ProbeContext
from tests.certs import LoopbackCA
from tests.pg import free_port


async def _app() -> web.Application:
    app = web.Application()

    async def ok(_: web.Request) -> web.Response:
        return web.Response(text='{"status": "ok", "service": "perizinan"}')

    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(0.3)
        return web.Response(text="late but fine")

    async def hang(_: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.Response(text="never")

    async def error(_: web.Request) -> web.Response:
        return web.Response(status=503, text="maintenance")

    async def moved(_: web.Request) -> web.Response:
        raise web.HTTPFound("/ok")

    async def big(_: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(_)
        for _i in range(50):
            await resp.write(b"x" * 10_000)
        await resp.write_eof()
        return resp

    for path, handler in (("/ok", ok), ("/slow", slow), ("/hang", hang), ("/error", error),
                          ("/moved", moved), ("/big", big)):
        app.router.add_get(path, handler)
    return app


async def _serve(ssl_context: ssl.SSLContext | None = None) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(await _app(), shutdown_timeout=0.5)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port, ssl_context=ssl_context).start()
    return runner, port


@pytest.fixture
async def server() -> AsyncIterator[str]:
    runner, port = await _serve()
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.fixture
def ca(tmp_path) -> LoopbackCA:
    return LoopbackCA(tmp_path)


async def check(url: str, **kw: object):
    cfg = http.Config(id="t", url=url, **kw)
    return await run_once(cfg, ProbeContext())


async def test_success_with_phases_and_body_match(server):
    r = await check(f"{server}/ok", body_contains='"status": "ok"', body_regex=r"perizinan")
    assert r.ok and r.error_kind is None and r.degraded is None
    assert set(r.phases) == {"resolve", "connect", "first_byte", "transfer"}
    assert all(v >= 0 for v in r.phases.values()) and r.values["status_code"] == 200


async def test_bad_status_and_body_mismatch(server):
    r = await check(f"{server}/error")
    assert (r.ok, r.error_kind) == (False, ErrorKind.BAD_STATUS) and "503" in r.message
    r = await check(f"{server}/error", expected_status=[503], body_contains="maintenance")
    assert r.ok
    r = await check(f"{server}/ok", body_contains="gagal")
    assert (r.ok, r.error_kind) == (False, ErrorKind.BODY_MISMATCH)
    r = await check(f"{server}/ok", body_regex=r'"status":\s*"down"')
    assert (r.ok, r.error_kind) == (False, ErrorKind.BODY_MISMATCH)


async def test_refused_and_timeout(server):
    r = await check(f"http://127.0.0.1:{free_port()}/")
    assert (r.ok, r.error_kind) == (False, ErrorKind.REFUSED)
    r = await check(f"{server}/hang", timeout=timedelta(milliseconds=300))
    assert (r.ok, r.error_kind) == (False, ErrorKind.TIMEOUT) and "0.3 s" in r.message


async def test_latency_threshold_makes_it_degraded(server):
    r = await check(f"{server}/slow", latency_threshold=timedelta(milliseconds=100))
    assert r.ok and r.degraded is not None and "above 100 ms" in r.degraded


async def test_redirects_followed_only_when_asked(server):
    r = await check(f"{server}/moved")
    assert (r.ok, r.values["status_code"]) == (False, 302)
    r = await check(f"{server}/moved", follow_redirects=2, body_contains="perizinan")
    assert r.ok


async def test_large_body_is_read_to_the_end(server):
    r = await check(f"{server}/big")
    assert r.ok and r.values["response_bytes"] == 500_000


async def test_https_verified_against_the_ca_with_tls_phase_and_expiry(ca):
    runner, port = await _serve(ca.server_context(days=20))
    try:
        r = await check(f"https://127.0.0.1:{port}/ok", ca_file=str(ca.ca_file))
        assert r.ok and "tls" in r.phases and r.phases["tls"] > 0
        expiry_days = r.values["tls_cert_expiry_timestamp_seconds"] - time.time()
        assert 19 < expiry_days / 86400 < 21
        # the system CAs do not know our test CA: verification fails by default
        r = await check(f"https://127.0.0.1:{port}/ok")
        assert (r.ok, r.error_kind) == (False, ErrorKind.TLS_INVALID)
        assert "certificate" in r.message
        # turning verification off is explicit, and still reports the expiry
        r = await check(f"https://127.0.0.1:{port}/ok", verify_tls=False)
        assert r.ok and "tls_cert_expiry_timestamp_seconds" in r.values
        # expiring within the warning window: passing but degraded
        r = await check(f"https://127.0.0.1:{port}/ok", ca_file=str(ca.ca_file),
                        cert_expiry_warning=timedelta(days=30))
        assert r.ok and r.degraded is not None and "expires in" in r.degraded
    finally:
        await runner.cleanup()


async def test_https_hostname_mismatch_is_invalid(ca):
    runner, port = await _serve(ca.server_context(hostnames=("other.example",)))
    try:
        r = await check(f"https://127.0.0.1:{port}/ok", ca_file=str(ca.ca_file))
        assert (r.ok, r.error_kind) == (False, ErrorKind.TLS_INVALID)
        assert "mismatch" in r.message or "doesn't match" in r.message
    finally:
        await runner.cleanup()


def test_config_is_strict():
    with pytest.raises(ValueError, match="http:// or https://"):
        http.Config(id="t", url="ftp://x")
    with pytest.raises(ValueError, match="Extra inputs"):
        http.Config(id="t", url="http://x", colour="blue")  # type: ignore[call-arg]


@pytest.fixture
async def raw_server() -> AsyncIterator[dict[str, bytes]]:
    """Answers each connection with whatever bytes the test puts under "reply", then closes."""
    box = {"reply": b""}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        box["request"] = await reader.readuntil(b"\r\n\r\n")
        writer.write(box["reply"])
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    box["url"] = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/".encode()
    yield box
    server.close()


async def test_body_ended_by_close_is_complete_and_truncated_body_is_not(raw_server):
    url = raw_server["url"].decode()
    raw_server["reply"] = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nlayanan aktif"
    r = await check(url, body_contains="layanan aktif")
    assert r.ok and r.values["response_bytes"] == 13
    raw_server["reply"] = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"
    r = await check(url)
    assert not r.ok and "closed before the response ended" in r.message
    raw_server["reply"] = b"NOT HTTP AT ALL\r\n\r\n"
    r = await check(url)
    assert (r.ok, r.error_kind) == (False, ErrorKind.PROTOCOL) and "invalid HTTP" in r.message


def _header_lines(request: bytes) -> list[str]:
    return request.decode("latin-1").split("\r\n")[1:-2]


async def test_a_configured_header_replaces_the_default_never_two_of_a_name(raw_server):
    """Issue 31, item 1: `headers: {Host: …}` sent a second Host header; nginx answers 400."""
    url = raw_server["url"].decode()
    raw_server["reply"] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    r = await check(url, headers={"host": "perizinan.serangkab.go.id",
                                  "User-Agent": "pemantau-diskominfo"})
    assert r.ok, r.message
    lines = _header_lines(raw_server["request"])
    assert [h for h in lines if h.lower().startswith("host:")] == [
        "host: perizinan.serangkab.go.id"]
    assert [h for h in lines if h.lower().startswith("user-agent:")] == [
        "User-Agent: pemantau-diskominfo"]
    # server_name names the site in the Host header too (with the port when not the default)
    r = await check(url, server_name="perizinan.serangkab.go.id")
    port = url.rsplit(":", 1)[1].strip("/")
    assert f"Host: perizinan.serangkab.go.id:{port}" in _header_lines(raw_server["request"])
    with pytest.raises(ValueError, match="given twice"):
        http.Config(id="t", url=url, headers={"Host": "a", "host": "b"})
    with pytest.raises(ValueError, match="host name"):
        http.Config(id="t", url=url, server_name="a b")


async def test_server_name_is_the_sni_and_the_name_verified(ca):
    """A site reached by its address but certified for its name: without `server_name` the
    name does not match; with it the handshake asks for that name (SNI) and verifies it."""
    context = ca.server_context(hostnames=("perizinan.serangkab.go.id",))
    asked: list[str | None] = []

    def sni(_sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        asked.append(name)

    context.sni_callback = sni
    runner, port = await _serve(context)
    try:
        url = f"https://127.0.0.1:{port}/ok"
        r = await check(url, ca_file=str(ca.ca_file))
        assert (r.ok, r.error_kind) == (False, ErrorKind.TLS_INVALID)
        r = await check(url, ca_file=str(ca.ca_file), server_name="perizinan.serangkab.go.id")
        assert r.ok, r.message
        assert asked[-1] == "perizinan.serangkab.go.id"
    finally:
        await runner.cleanup()

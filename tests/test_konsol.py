"""Konsol SPBE over real HTTP (the daemon's aiohttp app): login with the same rule as the
CLI, server-side sessions with a fresh id at every login, cookie flags, CSRF on every form,
lockout after 10 failures, and a service's page only for the people who answer for it —
every refusal audited and shown as a page in Bahasa Indonesia."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spbe_monitor.identity import hash_password
from spbe_monitor.ledger.store import Store
from tests.conftest import FakeClock
from tests.identities import totp_code
from tests.web_clients import PASSWORD, Client, daemon_client, form_token, log_in

TEKNIS = "199002102015032005"  # perizinan, persuratan, simpeg
PENYEDIA_IZIN = "197001011995031001"  # eselon II, Penyedia Layanan of perizinan-online
PENYEDIA_SURAT = "197203152000031002"  # persuratan-online only


@pytest.fixture
async def konsol(config_dir: Path, monkeypatch: pytest.MonkeyPatch
                 ) -> AsyncIterator[tuple[Client, Store, FakeClock]]:
    monkeypatch.delenv("SPBE_DATABASE_URL", raising=False)
    async with daemon_client(config_dir) as (client, store, clock):
        for nip in (TEKNIS, PENYEDIA_SURAT, PENYEDIA_IZIN):
            store.set_password(nip, hash_password(PASSWORD), clock.now())
        yield client, store, clock


async def test_login_sets_a_strict_httponly_session_and_shows_only_ones_services(konsol):
    client, store, _ = konsol
    form = await (await client.get("/konsol/masuk")).text()
    assert '<label for="nip">NIP</label>' in form and '<label for="password">' in form
    r = await log_in(client, PENYEDIA_SURAT)
    assert r.status == 303 and r.headers["Location"] == "/konsol/"
    cookie = r.headers["Set-Cookie"]
    assert "spbe_sesi=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Path=/konsol" in cookie and "Secure" not in cookie  # plain HTTP on loopback
    page = await (await client.get("/konsol/")).text()
    assert "Persuratan Online" in page and "Perizinan Online" not in page
    assert 'lang="id"' in page and '<label for="nip">' not in page
    assert [e.action for e in store.audit_entries()][-1] == "konsol.login"
    assert len(page.encode()) < 200_000
    r = await client.get("/konsol/")
    policy = r.headers["Content-Security-Policy"]
    nonce = re.search(r"script-src 'nonce-([^']+)'", policy)
    assert nonce and f'<style nonce="{nonce.group(1)}">' in await r.text()
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy


async def test_the_session_id_changes_at_every_login(konsol):
    """A session id planted in the browser before login (fixation) is never the one the
    person is logged in with, and a live session is ended by the next login."""
    client, _, _ = konsol
    client.session.cookie_jar.update_cookies({"spbe_sesi": "dipilih-penyerang"})
    planted = await log_in(client, TEKNIS)
    first = planted.cookies["spbe_sesi"].value
    assert planted.status == 303 and first != "dipilih-penyerang"
    client.session.cookie_jar.clear()
    token = await form_token(client)  # the login form, then the live session comes along
    client.session.cookie_jar.update_cookies({"spbe_sesi": first})
    again = await client.post("/konsol/masuk", data={"nip": TEKNIS, "password": PASSWORD,
                                                    "csrf": token}, allow_redirects=False)
    second = again.cookies["spbe_sesi"].value
    assert again.status == 303 and second != first
    client.session.cookie_jar.clear()
    client.session.cookie_jar.update_cookies({"spbe_sesi": first})
    r = await client.get("/konsol/", allow_redirects=False)
    assert r.status == 303 and r.headers["Location"].startswith("/konsol/masuk")  # ended


async def test_forms_without_the_csrf_token_are_refused_and_audited(konsol):
    client, store, _ = konsol
    r = await client.post("/konsol/masuk", data={"nip": TEKNIS, "password": PASSWORD},
                          allow_redirects=False)
    assert r.status == 403 and "tidak sah" in await r.text()
    assert (await log_in(client, TEKNIS)).status == 303
    r = await client.post("/konsol/keluar", data={"csrf": "salah"}, allow_redirects=False)
    assert r.status == 403 and "token CSRF salah" in await r.text()
    refusals = [e for e in store.audit_entries() if e.outcome == "refused"]
    assert [e.actor for e in refusals][-1] == TEKNIS and "CSRF" in str(refusals[-1].after)
    token = await form_token(client, "/konsol/")
    r = await client.post("/konsol/keluar", data={"csrf": token}, allow_redirects=False)
    assert r.status == 303 and r.headers["Location"] == "/konsol/masuk"
    r = await client.get("/konsol/", allow_redirects=False)
    assert r.status == 303  # logged out


async def test_ten_failures_lock_the_nip_for_every_channel(konsol):
    client, store, clock = konsol
    for _ in range(10):
        r = await log_in(client, TEKNIS, "bukan kata sandinya")
        assert r.status == 401 and "NIP atau kata sandi salah" in await r.text()
    r = await log_in(client, TEKNIS)  # the right password, but locked
    assert r.status == 429 and "15 menit" in await r.text()
    assert store.refusals_since(TEKNIS, "login.locked", clock.now() - timedelta(hours=1)) == 1
    clock.advance(16 * 60)
    assert (await log_in(client, TEKNIS)).status == 303


async def test_a_service_page_is_only_for_the_people_who_answer_for_it(konsol):
    client, store, _ = konsol
    assert (await log_in(client, PENYEDIA_SURAT)).status == 303
    r = await client.get("/konsol/layanan/persuratan-online")
    assert r.status == 200 and "Gangguan bulan ini" in await r.text()
    r = await client.get("/konsol/layanan/perizinan-online")
    page = await r.text()
    assert r.status == 403 and "Anda tidak bertanggung jawab atas layanan ini" in page
    assert "Traceback" not in page
    [entry] = [e for e in store.audit_entries() if e.action == "konsol.view"]
    assert entry.outcome == "refused" and entry.subject == "service:perizinan-online"
    assert entry.after == {"reason": "not responsible for this service"}  # the log's own words
    r = await client.get("/konsol/layanan/tidak-ada")
    assert r.status == 404


async def test_sessions_end_after_thirty_idle_minutes(konsol):
    client, _, clock = konsol
    assert (await log_in(client, TEKNIS)).status == 303
    clock.advance(29 * 60)
    assert (await client.get("/konsol/", allow_redirects=False)).status == 200
    clock.advance(31 * 60)
    assert (await client.get("/konsol/", allow_redirects=False)).status == 303


async def test_after_a_lapsed_session_masuk_returns_to_the_page_one_was_on(konsol):
    client, _, clock = konsol
    assert (await log_in(client, TEKNIS)).status == 303
    clock.advance(31 * 60)
    r = await client.get("/konsol/layanan/perizinan-online?bulan=2026-10",
                         allow_redirects=False)
    assert r.status == 303
    assert r.headers["Location"] == ("/konsol/masuk?lanjut=/konsol/layanan/"
                                     "perizinan-online?bulan%3D2026-10")
    page = await (await client.get(r.headers["Location"])).text()
    assert 'name="lanjut" value="/konsol/layanan/perizinan-online?bulan=2026-10"' in page
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token is not None
    r = await client.post("/konsol/masuk", allow_redirects=False, data={
        "nip": TEKNIS, "password": PASSWORD, "csrf": token[1],
        "lanjut": "/konsol/layanan/perizinan-online?bulan=2026-10"})
    assert r.headers["Location"] == "/konsol/layanan/perizinan-online?bulan=2026-10"
    for elsewhere in ("//contoh.example/", "https://contoh.example/", "/konsol/..//x",
                      "/status", "/konsol/\\contoh.example"):
        clock.advance(31 * 60)
        page = await (await client.get("/konsol/masuk")).text()
        token = re.search(r'name="csrf" value="([^"]+)"', page)
        assert token is not None
        r = await client.post("/konsol/masuk", allow_redirects=False, data={
            "nip": TEKNIS, "password": PASSWORD, "csrf": token[1], "lanjut": elsewhere})
        assert r.headers["Location"] == "/konsol/", elsewhere


async def test_the_run_pages_poll_keeps_no_session_alive(konsol):
    """A run page left open in the war room refreshes itself every 5 s; that is not the
    person acting, so the session still ends 30 idle minutes after their last request, and
    the page's script is told so (401) instead of a redirect to Masuk it cannot show."""
    client, _, clock = konsol
    assert (await log_in(client, TEKNIS)).status == 303
    for _ in range(29):
        clock.advance(60)
        r = await client.get("/konsol/drp/pelaksanaan/1/keadaan", allow_redirects=False)
        assert r.status == 404  # the session is live (no run 1), and not refreshed
    clock.advance(2 * 60)
    r = await client.get("/konsol/drp/pelaksanaan/1/keadaan", allow_redirects=False)
    assert r.status == 401
    assert (await client.get("/konsol/", allow_redirects=False)).status == 303


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(nip=st.text(max_size=300), password=st.text(max_size=300),
       csrf=st.text(max_size=100))
async def test_hostile_form_input_never_yields_a_server_error(konsol, nip, password, csrf):
    client, _, _ = konsol
    r = await client.post("/konsol/masuk", data={"nip": nip, "password": password,
                                                "csrf": csrf}, allow_redirects=False)
    assert r.status < 500
    r = await client.get(f"/konsol/layanan/{nip[:50] or 'x'}", allow_redirects=False)
    assert r.status < 500


async def test_a_late_window_registered_on_the_page_is_approved_with_totp(konsol):
    """10.00 WIB: a window from 11.00 is late (notice); the Pengelola Teknis cannot approve
    it, the Penyedia Layanan can, only with the authenticator's code."""
    client, store, clock = konsol
    assert (await log_in(client, TEKNIS)).status == 303
    token = await form_token(client, "/konsol/pemeliharaan")
    r = await client.post("/konsol/pemeliharaan", data={
        "csrf": token, "layanan": "perizinan-online", "mulai": "2026-11-28T11:00",
        "selesai": "2026-11-28T12:00", "ulang": "", "alasan": "Ganti modul memori"})
    page = await r.text()
    assert r.status == 200 and "terlambat" in page and "menunggu persetujuan" in page
    [window] = store.maintenance(["perizinan-online"])
    assert window.start_at == clock.now() + timedelta(hours=1)  # read in WIB
    assert "Setujui" not in page  # not offered to the Pengelola Teknis …
    r = await client.post(f"/konsol/pemeliharaan/{window.id}/setujui",
                          data={"csrf": token, "totp": "000000"})
    page = await r.text()  # … nor accepted
    assert r.status == 403 and "hanya Penyedia Layanan yang dapat menyetujui" in page
    await client.post("/konsol/keluar", data={"csrf": token})
    assert (await log_in(client, PENYEDIA_IZIN)).status == 303
    token = await form_token(client, "/konsol/pemeliharaan")
    assert "Setujui" in await (await client.get("/konsol/pemeliharaan")).text()
    r = await client.post(f"/konsol/pemeliharaan/{window.id}/setujui",
                          data={"csrf": token, "totp": "123456"})
    assert r.status == 403 and "belum mendaftarkan autentikator" in await r.text()
    code = totp_code(store, PENYEDIA_IZIN, clock.now())
    r = await client.post(f"/konsol/pemeliharaan/{window.id}/setujui",
                          data={"csrf": token, "totp": code})
    assert r.status == 200 and "disetujui untuk Perizinan Online" in await r.text()
    assert store.window(window.id).approved_for("perizinan-online")
    refused = [e.action for e in store.audit_entries() if e.outcome == "refused"]
    assert refused.count("maintenance.approve") == 2

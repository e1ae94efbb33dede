"""The Konsol's DRP, Laporan, Jejak Audit and public pages over real HTTP, in process with an
injected clock: every form refuses a missing or wrong CSRF token (403, audited), pages of
another service's playbook, run or report are refused to people who do not answer for it,
the document page shows what changed since the last approval, the public page is off by
default and names no one, and hostile input on every form is answered without a 5xx."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spbe_monitor.config.loader import load_config
from spbe_monitor.drp.operations import Drp
from spbe_monitor.identity import hash_password
from spbe_monitor.ledger.store import Store
from tests.conftest import FakeClock
from tests.identities import as_person
from tests.web_clients import PASSWORD, Client, daemon_client, form_token, log_in

PENYEDIA_IZIN = "197001011995031001"  # eselon II, perizinan-online
PENYEDIA_SURAT = "197203152000031002"  # eselon II, persuratan-online only
KABID = "198004212005011004"  # eselon III, Koordinator Pemulihan of every service
TEKNIS = "199002102015032005"  # Pengelola Teknis of every service
PLAYBOOK = "drp_playbooks/perizinan-online.yaml"
FORMS = ("/konsol/drp/mulai", "/konsol/drp/playbook/perizinan-online/setujui",
         "/konsol/drp/pelaksanaan/1/langkah/assess-facility",
         "/konsol/drp/pelaksanaan/1/langkah/recovery-point/keputusan",
         "/konsol/drp/pelaksanaan/1/hentikan", "/konsol/drp/pelaksanaan/1/lanjutkan",
         "/konsol/drp/pelaksanaan/1/evaluasi", "/konsol/drp/pelaksanaan/1/mengetahui",
         "/konsol/laporan/formulir-f/2026-10/perizinan-online/buat",
         "/konsol/laporan/formulir-f/2026-10/perizinan-online/mengetahui",
         "/konsol/layanan/perizinan-online/gangguan/1/penyebab",
         "/konsol/pemeliharaan", "/konsol/pemeliharaan/1/setujui", "/konsol/keluar")
FIELDS = ("playbook", "mode", "kejadian", "sha256", "totp", "periksa", "catatan", "aksi",
          "kategori", "hari_pemulihan", "jam_henti", "data_hilang", "keputusan", "alasan",
          "pulih", "penyebab", "layanan", "mulai", "selesai", "ulang", "kendala", "perbaikan")


@pytest.fixture
async def konsol(config_dir: Path, monkeypatch: pytest.MonkeyPatch
                 ) -> AsyncIterator[tuple[Client, Store, FakeClock, Path]]:
    monkeypatch.delenv("SPBE_DATABASE_URL", raising=False)
    async with daemon_client(config_dir) as (client, store, clock):
        for nip in (PENYEDIA_IZIN, PENYEDIA_SURAT, KABID, TEKNIS):
            store.set_password(nip, hash_password(PASSWORD), clock.now())
        config = load_config(config_dir / "spbe.yaml")
        Drp(config, store, clock).start("perizinan-online", "drill",
                                         as_person(config, KABID), None)
        yield client, store, clock, config_dir


async def test_every_form_refuses_a_missing_or_wrong_csrf_token(konsol):
    client, store, _, _ = konsol
    assert (await log_in(client, KABID)).status == 303
    for path in FORMS:
        for data in ({}, {"csrf": "bukan-tokennya"}):
            r = await client.post(path, data=data, allow_redirects=False)
            assert r.status == 403 and "token CSRF salah" in await r.text(), path
    refusals = [e for e in store.audit_entries() if e.outcome == "refused"]
    assert len(refusals) == 2 * len(FORMS) and {e.actor for e in refusals} == {KABID}
    assert (await client.get("/konsol/", allow_redirects=False)).status == 200  # still in


async def test_another_services_playbook_run_and_report_are_refused(konsol):
    client, store, _, _ = konsol
    assert (await log_in(client, PENYEDIA_SURAT)).status == 303
    for path in ("/konsol/drp/playbook/perizinan-online", "/konsol/drp/pelaksanaan/1",
                 "/konsol/drp/pelaksanaan/1/keadaan",
                 "/konsol/laporan/formulir-f/2026-10/perizinan-online.pdf",
                 "/konsol/laporan/formulir-c/2026-11.pdf"):
        r = await client.get(path)
        page = await r.text()
        assert r.status == 403 and "tidak bertanggung jawab" in page, path
        assert "Traceback" not in page
    assert sum(e.action == "konsol.view" and e.outcome == "refused"
               for e in store.audit_entries()) == 5
    page = await (await client.get("/konsol/drp")).text()
    assert "Tidak ada playbook DRP untuk layanan Anda" in page
    page = await (await client.get("/konsol/jejak?layanan=perizinan-online")).text()
    assert 'value="persuratan-online" selected' in page  # scoped to their own service
    assert "drp-run:1" not in page and "playbook:perizinan-online" not in page


async def test_the_document_page_shows_what_changed_since_the_last_approval(konsol):
    client, store, clock, config_dir = konsol
    config = load_config(config_dir / "spbe.yaml")
    Drp(config, store, clock).approve_document("perizinan-online",
                                               as_person(config, PENYEDIA_IZIN, store, clock.now()))
    assert (await log_in(client, PENYEDIA_IZIN)).status == 303
    page = await (await client.get("/konsol/drp/playbook/perizinan-online")).text()
    assert "sudah disetujui; tidak ada perubahan" in page and "Kode autentikator" not in page
    path = config_dir.parent / PLAYBOOK
    path.write_text(path.read_text().replace("version: 1", "version: 2").replace(
        "expected: 2h", "expected: 3h"))
    page = await (await client.get("/konsol/drp/playbook/perizinan-online")).text()
    # read as a list of steps first (who signs, how long), the YAML and its diff below
    summary = page[page.index("Ringkasan dokumen"):page.index("Perubahan sejak")]
    assert "Aktifkan replika basis data di Pusat Data sekunder" in summary
    assert "konfirmasi oleh tim pemulihan" in summary and "3 jam" in summary
    assert "Penyedia Layanan, pejabat eselon II atau lebih tinggi" in summary
    assert "verifikasi layanan berjalan" in summary and "Perizinan Online" in summary
    assert "Perubahan sejak versi yang disetujui" in page
    assert '<span class="hapus">-version: 1</span>' in page
    assert '<span class="tambah">+version: 2</span>' in page
    assert '<span class="tambah">+    expected: 3h</span>' in page
    assert "Ir. Bambang Sutrisno" in page and "Kode autentikator" in page
    sha = re.search(r'name="sha256" value="([0-9a-f]{64})"', page)
    assert sha is not None
    token = await form_token(client, "/konsol/drp")
    r = await client.post("/konsol/drp/playbook/perizinan-online/setujui",
                          data={"csrf": token, "sha256": "0" * 64, "totp": "000000"})
    assert r.status == 400 and "isi playbook berubah" in await r.text()


async def test_the_public_status_page_is_off_by_default_and_names_no_one(konsol):
    client, _, _, config_dir = konsol
    r = await client.get("/status")
    assert r.status == 404 and "tidak diaktifkan" in await r.text()
    spbe = config_dir / "spbe.yaml"
    spbe.write_text(spbe.read_text().replace("public_status: false", "public_status: true"))
    async with daemon_client(config_dir) as (public, _, _):
        r = await public.get("/status")
        page = await r.text()
        assert r.status == 200 and "Perizinan Online" in page and "Kepegawaian Internal" in page
        assert not re.search(r"\d{18}", page) and "Keluar" not in page
        assert r.headers["Cache-Control"] == "public, max-age=30"


async def test_ringkasan_shows_the_open_outage_with_its_deadline_and_a_cause_is_noted(konsol):
    client, store, clock, _ = konsol
    start = clock.now() - timedelta(hours=13)  # a P1 is due in 12 hours
    store.open_outage("perizinan-online", start, "mayor", "P1",
                      (start + timedelta(minutes=15), start + timedelta(hours=12)),
                      "down", clock.now())
    assert (await log_in(client, TEKNIS)).status == 303
    page = await (await client.get("/konsol/")).text()
    assert "P1</span> sejak 27 November 2026 pukul 21.00 WIB" in page
    assert "harus selesai 28 November 2026 pukul 09.00 WIB" in page
    assert "(lewat tenggat)" in page and 'aria-label="Ketersediaan 12 bulan terakhir' in page
    [outage] = store.outages(["perizinan-online"])
    token = await form_token(client, "/konsol/layanan/perizinan-online")
    r = await client.post(f"/konsol/layanan/perizinan-online/gangguan/{outage.id}/penyebab",
                          data={"csrf": token, "penyebab": "catu daya padam"})
    assert r.status == 200 and "catu daya padam" in await r.text()
    assert store.outage(outage.id).cause == "catu daya padam"


async def test_ringkasan_history_follows_a_late_downtime_in_a_past_month(konsol):
    """The twelve past months are kept between loads (konsol/past_months.py), never past a
    change of the evidence: a downtime of October entered late shows at the next load."""
    client, store, clock, _ = konsol
    assert (await log_in(client, TEKNIS)).status == 303
    history = re.compile(r'aria-label="Ketersediaan 12 bulan terakhir.*?</svg>', re.S)
    before = history.findall(await (await client.get("/konsol/")).text())
    assert before == history.findall(await (await client.get("/konsol/")).text())
    start = datetime(2026, 10, 6, 1, tzinfo=UTC)
    store.add_manual_outage("perizinan-online", start, start + timedelta(hours=10), "mayor",
                            "P1", "dilaporkan pengguna", TEKNIS, clock.now())
    after = history.findall(await (await client.get("/konsol/")).text())
    assert len(after) == len(before) and after != before


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(FORMS[:-1]),
       fields=st.dictionaries(st.sampled_from(FIELDS), st.text(max_size=80), max_size=8))
async def test_hostile_input_on_every_form_is_answered_without_a_server_error(
        konsol, path, fields):
    client, _, _, _ = konsol
    if (await client.get("/konsol/", allow_redirects=False)).status != 200:
        assert (await log_in(client, KABID)).status == 303
    token = await form_token(client, "/konsol/drp")
    r = await client.post(path, data={**fields, "csrf": token}, allow_redirects=False)
    assert r.status < 500, (path, fields, await r.text())
    assert "Traceback" not in await r.text()

"""The Konsol in a real Chromium against the real daemon (`spbe run` on a copy of the
bundled example): three people in three browser sessions register and approve a late
maintenance window, approve the DRP document, walk a drill from start to Formulir G, and
sign Formulir F — every wrong person's attempt refused on the page and audited. Every page
gets the accessibility basics and a screenshot under var/screenshots/."""

from __future__ import annotations

import hashlib
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from spbe_monitor.config.loader import load_config
from spbe_monitor.ledger import db
from spbe_monitor.ledger.store import Store
from tests.browser import checked_page, chromium, fill, wait_until
from tests.example_daemon import running_example
from tests.identities import password_for, totp_for

pytestmark = pytest.mark.slow

BAMBANG = "197001011995031001"  # Kepala DPMPPTSP, eselon II, Penyedia Layanan (perizinan)
DEDI = "198004212005011004"  # Kepala Bidang, eselon III, Koordinator Pemulihan (all services)
RINA = "199002102015032005"  # Pengelola Teknis (all services)
PASSWORD = "sandi rahasia yang cukup panjang"
ZONE = ZoneInfo("Asia/Jakarta")


class Person:
    """One official in their own browser."""

    def __init__(self, base: str, config: Path, nip: str) -> None:
        self.base, self.config, self.nip = base, config, nip
        self.driver: webdriver.Chrome = chromium()

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def log_in(self) -> str:
        self.open("/konsol/masuk")
        form = self.driver.find_element(By.TAG_NAME, "form")
        fill(form, {"nip": self.nip, "password": PASSWORD})
        self.submit(form)
        assert self.driver.current_url == self.base + "/konsol/"
        return str(self.driver.find_element(By.TAG_NAME, "body").text)

    def totp(self) -> str:
        return totp_for(self.config, self.nip)

    def form(self, action: str) -> webdriver.remote.webelement.WebElement:
        """The form posting to `action` on the page shown, once it is there."""
        selector = f'form[action="{action}"]'
        wait_until(self.driver, lambda d: d.find_elements(By.CSS_SELECTOR, selector))
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def submit(self, form: webdriver.remote.webelement.WebElement, button: str = "") -> str:
        """Press the button; the text of the page that answers."""
        self.driver.execute_script("document.documentElement.dataset.lama = '1'")
        form.find_element(By.CSS_SELECTOR, f"button[type=submit]{button}").click()
        wait_until(self.driver, lambda d: d.execute_script(
            "return !document.documentElement.dataset.lama && document.readyState") == "complete")
        return str(self.driver.find_element(By.TAG_NAME, "body").text)

    def step_form(self, run: int, step: str, decide: bool = False
                  ) -> webdriver.remote.webelement.WebElement:
        """The act of `step`, on the run page as it refreshes itself."""
        action = f"/konsol/drp/pelaksanaan/{run}/langkah/{step}" + (
            "/keputusan" if decide else "")
        return self.form(action)


@pytest.fixture
def konsol(tmp_path: Path) -> Iterator[tuple[str, Path, Store]]:
    with running_example(tmp_path) as port:
        config = tmp_path / "config" / "spbe.yaml"
        for nip in (BAMBANG, DEDI, RINA):
            password_for(config, nip, PASSWORD)
        engine = db.make_engine(load_config(config).database_url)
        yield f"http://127.0.0.1:{port}", config, Store(engine)
        engine.dispose()


@pytest.fixture
def people(konsol: tuple[str, Path, Store]) -> Iterator[dict[str, Person]]:
    base, config, _ = konsol
    out = {name: Person(base, config, nip)
           for name, nip in (("bambang", BAMBANG), ("dedi", DEDI), ("rina", RINA))}
    yield out
    for person in out.values():
        person.driver.quit()


def refused(store: Store, nip: str, action: str) -> bool:
    return any(e.actor == nip and e.action == action and e.outcome == "refused"
               for e in store.audit_entries())


def test_three_people_run_the_konsol_end_to_end(konsol, people):
    base, _, store = konsol
    bambang, dedi, rina = people["bambang"], people["dedi"], people["rina"]

    # Masuk: a wrong password, then each person's own
    rina.open("/konsol/masuk")
    checked_page(rina.driver, "01-masuk")
    form = rina.form("/konsol/masuk")
    fill(form, {"nip": RINA, "password": "salah"})
    assert "NIP atau kata sandi salah" in rina.submit(form)
    page = rina.log_in()
    assert "Perizinan Online" in page and "Persuratan Online" in page
    checked_page(rina.driver, "02-ringkasan")
    rina.open("/konsol/layanan/perizinan-online")
    assert "Gangguan bulan ini" in checked_page(rina.driver, "03-layanan")

    # Pemeliharaan: Rina registers a window starting in an hour (late: under 24 h notice)
    rina.open("/konsol/pemeliharaan")
    form = rina.form("/konsol/pemeliharaan")
    form.find_element(By.CSS_SELECTOR, 'input[value="perizinan-online"]').click()
    start = datetime.now(ZONE).replace(second=0, microsecond=0) + timedelta(hours=1)
    for name, moment in (("mulai", start), ("selesai", start + timedelta(hours=1))):
        rina.driver.execute_script("arguments[0].value = arguments[1]",
                                   form.find_element(By.NAME, name),
                                   moment.strftime("%Y-%m-%dT%H:%M"))
    fill(form, {"alasan": "Pembaruan sertifikat TLS"})
    page = rina.submit(form)
    assert "terdaftar, tetapi terlambat" in page and "Setujui" not in page
    checked_page(rina.driver, "04-pemeliharaan-terlambat")

    # Bambang approves it with his authenticator's code
    bambang.log_in()
    bambang.open("/konsol/pemeliharaan")
    form = bambang.form("/konsol/pemeliharaan/1/setujui")
    checked_page(bambang.driver, "05-pemeliharaan-menunggu-persetujuan")
    fill(form, {"totp": bambang.totp()})
    assert "Jadwal 1 disetujui untuk Perizinan Online" in bambang.submit(form)

    # DRP document: Dedi (eselon III) is not offered the approval; a request he forges
    # (his own session and CSRF token) is refused and audited; Bambang approves, with TOTP
    dedi.log_in()
    dedi.open("/konsol/drp/playbook/perizinan-online")
    page = checked_page(dedi.driver, "06-dokumen-drp")
    assert "Belum pernah disetujui" in page and "Menunggu persetujuan Penyedia Layanan" in page
    assert not dedi.driver.find_elements(By.CSS_SELECTOR, 'form[action$="/setujui"]')
    dedi.driver.execute_script("""
        const f = document.createElement('form');
        f.method = 'post'; f.action = '/konsol/drp/playbook/perizinan-online/setujui';
        const fields = {csrf: document.querySelector('input[name=csrf]').value, totp: '123456',
                        sha256: document.querySelector('code.hash').textContent};
        for (const [name, value] of Object.entries(fields)) {
          const i = document.createElement('input'); i.name = name; i.value = value;
          f.appendChild(i);
        }
        const b = document.createElement('button'); b.type = 'submit'; f.appendChild(b);
        document.body.appendChild(f);""")
    page = dedi.submit(dedi.form("/konsol/drp/playbook/perizinan-online/setujui"))
    assert "dokumen DRP disetujui oleh Penyedia Layanan eselon II" in page
    checked_page(dedi.driver, "07-ditolak")
    assert refused(store, DEDI, "drp.document.approve")
    bambang.open("/konsol/drp/playbook/perizinan-online")
    form = bambang.form("/konsol/drp/playbook/perizinan-online/setujui")
    fill(form, {"totp": bambang.totp()})
    assert "Dokumen DRP perizinan-online versi 1 disetujui" in bambang.submit(form)

    # Dedi starts the drill; the daemon drives it
    dedi.open("/konsol/drp")
    checked_page(dedi.driver, "08-drp")
    form = dedi.form("/konsol/drp/mulai")
    Select(form.find_element(By.NAME, "mode")).select_by_value("latihan")
    dedi.submit(form)
    assert dedi.driver.current_url == base + "/konsol/drp/pelaksanaan/1"
    form = dedi.step_form(1, "assess-facility")
    checked_page(dedi.driver, "09-pelaksanaan-penilaian")
    for box in form.find_elements(By.NAME, "periksa"):
        box.click()
    assert "Langkah assess-facility ditandatangani" in dedi.submit(form, '[value="tandatangani"]')
    assert dedi.driver.current_url.startswith(base + "/konsol/drp/pelaksanaan/1?")
    form = dedi.step_form(1, "assess-devices")
    for item in ("Server aplikasi", "Storage"):
        form.find_element(By.CSS_SELECTOR, f'input[value="{item}"]').click()
    fill(form, {"catatan": "switch dan server basis data terendam"})
    dedi.submit(form, '[value="tandatangani"]')

    # analyse: the Tabel 4.3 verdict is shown before signing
    form = dedi.step_form(1, "analyse")
    Select(form.find_element(By.NAME, "kategori")).select_by_value("kerusakan_fisik")
    fill(form, {"hari_pemulihan": "5"})
    page = dedi.submit(form, '[value="periksa"]')
    assert "Hasil Tabel 4.3 baris 2: Pemulihan Layanan" in page
    checked_page(dedi.driver, "10-analisis-tabel-4-3")
    dedi.submit(dedi.step_form(1, "analyse"), '[value="tandatangani"]')

    # declare: Dedi started the run; Bambang declares with TOTP
    # declare: Rina may not (eselon II): she is told who it waits for, and offered no form
    # (nor "Hentikan"): the refusal itself is the CLI's and the API's, tested in the matrix
    rina.open("/konsol/drp/pelaksanaan/1")  # stays open: it refreshes itself
    page = rina.driver.page_source
    assert "Menunggu pejabat lain" in page
    assert "declare memerlukan pejabat eselon II atau lebih tinggi" in page
    assert "/langkah/declare" not in page and "/hentikan" not in page
    bambang.open("/konsol/drp/pelaksanaan/1")
    form = bambang.step_form(1, "declare")
    fill(form, {"totp": bambang.totp()})
    bambang.submit(form, '[value="tandatangani"]')

    # Rina's page, never reloaded by her, now offers the manual steps; her session lapses
    # while she types: Masuk brings her back to the run with her text in place
    form = rina.step_form(1, "promote-replica")
    fill(form, {"catatan": "replika aktif, lag 0 detik"})
    rina.driver.delete_cookie("spbe_sesi")
    page = rina.submit(form, '[value="tandatangani"]')
    assert rina.driver.current_url == base + "/konsol/masuk?lanjut=/konsol/drp/pelaksanaan/1"
    fill(rina.form("/konsol/masuk"), {"nip": RINA, "password": PASSWORD})
    page = rina.submit(rina.form("/konsol/masuk"))
    assert rina.driver.current_url == base + "/konsol/drp/pelaksanaan/1"
    assert "Teks yang Anda ketik sebelum sesi berakhir dikembalikan" in page
    form = rina.step_form(1, "promote-replica")
    assert form.find_element(By.NAME, "catatan").get_attribute("value") == (
        "replika aktif, lag 0 detik")
    page = rina.submit(form, '[value="tandatangani"]')
    assert "Teks yang Anda ketik" not in page  # it went through: not put back again
    rina.submit(rina.step_form(1, "start-app"), '[value="tandatangani"]')
    form = rina.step_form(1, "resync-primary")  # once verify-secondary saw the service
    checked_page(rina.driver, "11-pelaksanaan-normalisasi")
    rina.submit(form, '[value="tandatangani"]')

    dedi.open("/konsol/drp/pelaksanaan/1")
    link = wait_until(dedi.driver, lambda d: d.find_elements(
        By.CSS_SELECTOR, 'a[href$="formulir-g.pdf"]'), 60)[0]
    page = checked_page(dedi.driver, "12-pelaksanaan-selesai")
    assert "selesai" in page and "memenuhi" in page and "tidak memenuhi" not in page
    cookie = dedi.driver.get_cookie("spbe_sesi")
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    request = urllib.request.Request(str(link.get_attribute("href")),
                                     headers={"Cookie": f"spbe_sesi={cookie['value']}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.read(5) == b"%PDF-"
    assert [r["kind"] for r in store.reports() if r["format"] == "pdf"] == ["formulir-g"]

    # Dedi's own evaluation goes into Formulir G beside what was measured (issue 30, item
    # 8); Rina, a Pengelola Teknis, is offered neither that form nor "Mengetahui"
    rina.open("/konsol/drp/pelaksanaan/1")
    assert "/evaluasi" not in rina.driver.page_source
    assert "/mengetahui" not in rina.driver.page_source
    dedi.open("/konsol/drp/pelaksanaan/1")
    form = dedi.form("/konsol/drp/pelaksanaan/1/evaluasi")
    fill(form, {"penyebab": "Replika basis data tertinggal dua jam dari primer.",
                "kendala": "Kunci ruang server dibawa petugas yang sedang cuti.",
                "perbaikan": "Simpan kunci cadangan di pos satpam."})
    assert "Evaluasi Koordinator Pemulihan disimpan" in dedi.submit(form)
    with urllib.request.urlopen(request, timeout=60) as response:  # filed again: it changed
        evaluated = response.read()
    printed = tmp_pdf(evaluated)
    assert "Analisis Koordinator Pemulihan" in printed and "Kunci ruang server" in printed
    assert "Simpan kunci cadangan" in printed
    bambang.open("/konsol/drp/pelaksanaan/1")
    form = bambang.form("/konsol/drp/pelaksanaan/1/mengetahui")
    sha = hashlib.sha256(evaluated).hexdigest()
    assert form.find_element(By.NAME, "sha256").get_attribute("value") == sha
    fill(form, {"totp": bambang.totp()})
    assert "Formulir G ditandatangani Mengetahui" in bambang.submit(form)
    checked_page(bambang.driver, "12b-formulir-g-mengetahui")
    assert [(s["sha256"], s["nip"]) for s in store.signoffs("formulir-g")] == [(sha, BAMBANG)]

    # Formulir F of last month: made on the page, signed Mengetahui by Bambang only
    dedi.open("/konsol/laporan")
    form = dedi.form(f"/konsol/laporan/formulir-f/{last_month()}/perizinan-online/buat")
    assert "dibuat" in dedi.submit(form)
    # answered with a redirect: reloading the page (F5) makes nothing again
    assert "/konsol/laporan?" in dedi.driver.current_url
    filings = len(store.reports("formulir-f"))
    dedi.driver.refresh()
    assert len(store.reports("formulir-f")) == filings
    form = dedi.form(f"/konsol/laporan/formulir-f/{last_month()}/perizinan-online/mengetahui")
    page = dedi.submit(form)
    assert "Formulir F ditandatangani Mengetahui oleh Penyedia Layanan eselon II" in page
    assert refused(store, DEDI, "report.signoff")
    bambang.open("/konsol/laporan")
    form = bambang.form(f"/konsol/laporan/formulir-f/{last_month()}/perizinan-online/mengetahui")
    fill(form, {"totp": bambang.totp()})
    page = bambang.submit(form)
    assert "ditandatangani Mengetahui" in page and "usang:" not in page
    checked_page(bambang.driver, "13-laporan-mengetahui")
    [signoff] = store.signoffs("formulir-f")
    [pdf] = [r for r in store.reports("formulir-f") if r["format"] == "pdf"]
    assert signoff["sha256"] == pdf["sha256"] and signoff["nip"] == BAMBANG
    # remade later, the ledger moved meanwhile but nothing the form says: the same file,
    # the sign-off still valid (issue 30, item 3)
    dedi.open("/konsol/laporan")
    form = dedi.form(f"/konsol/laporan/formulir-f/{last_month()}/perizinan-online/buat")
    assert "usang:" not in dedi.submit(form)
    # a downtime of last month entered late changes what it says: a new version beside it,
    # the signed one kept and still served
    year, month = (int(x) for x in last_month().split("-"))
    start = datetime(year, month, 3, 9, tzinfo=ZONE)
    store.add_manual_outage("perizinan-online", start, start + timedelta(minutes=30), "mayor",
                            "P2", "Dilaporkan pengguna", RINA, datetime.now(ZONE))
    dedi.open("/konsol/laporan")
    form = dedi.form(f"/konsol/laporan/formulir-f/{last_month()}/perizinan-online/buat")
    assert "usang: laporan telah dibuat ulang dengan isi berbeda" in dedi.submit(form)
    signed = dedi.driver.find_element(By.LINK_TEXT, "berkas yang ditandatangani")
    request = urllib.request.Request(str(signed.get_attribute("href")),
                                     headers={"Cookie": f"spbe_sesi={cookie['value']}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert hashlib.sha256(response.read()).hexdigest() == signoff["sha256"]

    # Jejak Audit: the refusals are there, the chain verifies
    dedi.open(f"/konsol/jejak?orang={DEDI}")
    page = checked_page(dedi.driver, "14-jejak-audit")
    assert "Rantai audit utuh" in page and "drp.document.approve" in page
    assert "ditolak" in page and "report.signoff" in page

    # on a phone, tables become labelled cards
    rina.driver.set_window_size(400, 900)
    rina.open("/konsol/")
    assert not rina.driver.find_element(By.CSS_SELECTOR, "table.kartu thead").is_displayed()
    label = rina.driver.execute_script(
        "return getComputedStyle(document.querySelector('table.kartu td'), '::before').content")
    assert label == '"Layanan"'
    checked_page(rina.driver, "15-ringkasan-ponsel")


def tmp_pdf(content: bytes) -> str:
    """The text of a PDF downloaded from the Konsol."""
    import tempfile

    from tests.pdfpages import text

    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(content)
        f.flush()
        return text(Path(f.name))


def last_month() -> str:
    today = datetime.now(ZONE)
    first = today.replace(day=1) - timedelta(days=1)
    return f"{first:%Y-%m}"

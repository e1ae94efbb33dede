"""The Konsol over the daemon's own HTTPS in a real Chromium (issue 28, item 7): the
browser trusts the test CA's server key (pinned by its SPKI, as a managed browser would
trust the agency's CA), the person logs in, the session cookies are Secure and every
answer carries HSTS."""

from __future__ import annotations

import base64
import hashlib
import re
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from selenium.webdriver.common.by import By

from tests.browser import chromium, fill, screenshot, wait_until
from tests.certs import LoopbackCA
from tests.daemon import TEKNIS, Daemon, Target, http_probe, write_config
from tests.identities import password_for
from tests.pg import free_port

PASSWORD = "gunung karang berkabut pagi ini"
pytestmark = pytest.mark.slow


def test_log_in_to_the_konsol_over_https(tmp_path: Path, target: Target):
    ca = LoopbackCA(tmp_path)
    ca.server_context(("127.0.0.1",), tag="konsol")  # writes konsol.pem and konsol.key
    spki = x509.load_pem_x509_certificate((tmp_path / "konsol.pem").read_bytes()).public_key(
        ).public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    pin = base64.b64encode(hashlib.sha256(spki).digest()).decode()
    target.start()
    port = free_port()
    config = write_config(tmp_path / "spbe", port, http_probe(target.port), ["target-http"])
    config.write_text(re.sub(
        r"server: \{listen: 127.0.0.1, port: (\d+)\}",
        lambda m: f"server:\n  listen: 127.0.0.1\n  port: {m.group(1)}\n  tls: {{cert: "
                  f"{tmp_path / 'konsol.pem'}, key: {tmp_path / 'konsol.key'}}}",
        config.read_text()))
    password_for(config, TEKNIS, PASSWORD)
    daemon = Daemon(config, port, tls=ssl.create_default_context(cafile=str(ca.ca_file)))
    driver = chromium(f"--ignore-certificate-errors-spki-list={pin}")
    try:
        base = f"https://127.0.0.1:{port}"
        driver.get(base + "/konsol/masuk")
        form = driver.find_element(By.TAG_NAME, "form")
        fill(form, {"nip": TEKNIS, "password": PASSWORD})
        form.submit()
        wait_until(driver, lambda d: d.current_url == base + "/konsol/")
        cookies = [c for c in driver.get_cookies() if c["name"].startswith("spbe_")]
        assert cookies and all(c["secure"] and c["httpOnly"] for c in cookies), cookies
        hsts = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch('/konsol/').then(r => done(r.headers.get('strict-transport-security')));")
        assert hsts == "max-age=31536000"
        assert "Rina Marlina" in driver.find_element(By.TAG_NAME, "body").text
        screenshot(driver, "16-konsol-https")
    finally:
        driver.quit()
        assert daemon.stop() == 0

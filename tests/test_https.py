"""HTTPS for the Konsol and the API (issue 28, item 7): the daemon serves TLS itself with
a certificate and key, and behind a reverse proxy believes X-Forwarded-Proto only from the
proxies it was told to trust. Over TLS the cookies are Secure and HSTS is sent; before,
neither could ever be set."""

from __future__ import annotations

import http.client
import re
import ssl
import urllib.parse
from pathlib import Path

import pytest

from tests.certs import LoopbackCA
from tests.daemon import TEKNIS, Daemon, Target, http_probe, write_config
from tests.identities import password_for
from tests.pg import free_port

PASSWORD = "gunung karang berkabut pagi ini"


def with_server(config: Path, extra: str) -> None:
    text = config.read_text()
    text = re.sub(r"server: \{listen: 127.0.0.1, port: (\d+)\}",
                  lambda m: f"server:\n  listen: 127.0.0.1\n  port: {m.group(1)}\n{extra}", text)
    config.write_text(text)


def log_in(conn: http.client.HTTPConnection, headers: dict[str, str] | None = None
           ) -> tuple[list[str], dict[str, str]]:
    """The login form, then NIP and password: every Set-Cookie and the last headers."""
    conn.request("GET", "/konsol/masuk", headers=headers or {})
    page = conn.getresponse()
    body = page.read().decode()
    cookies = page.headers.get_all("Set-Cookie") or []
    csrf = re.search(r'name="csrf" value="([^"]+)"', body)
    assert csrf, body
    jar = "; ".join(c.split(";")[0] for c in cookies)
    form = urllib.parse.urlencode({"nip": TEKNIS, "password": PASSWORD,
                                   "csrf": csrf.group(1)})
    conn.request("POST", "/konsol/masuk", body=form, headers={
        **(headers or {}), "Cookie": jar,
        "Content-Type": "application/x-www-form-urlencoded"})
    done = conn.getresponse()
    done.read()
    assert done.status == 303, done.status
    return cookies + (done.headers.get_all("Set-Cookie") or []), dict(done.headers)


def test_the_daemon_serves_https_with_secure_cookies_and_hsts(tmp_path: Path, target: Target):
    ca = LoopbackCA(tmp_path)
    ca.server_context(("127.0.0.1", "localhost"), tag="konsol")
    target.start()
    port = free_port()
    config = write_config(tmp_path / "spbe", port, http_probe(target.port), ["target-http"])
    with_server(config, f"  tls: {{cert: {tmp_path / 'konsol.pem'}, "
                        f"key: {tmp_path / 'konsol.key'}}}\n")
    password_for(config, TEKNIS, PASSWORD)
    client = ssl.create_default_context(cafile=str(ca.ca_file))
    daemon = Daemon(config, port, tls=client)
    try:
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=client, timeout=10)
        conn.request("GET", "/-/healthy")
        healthy = conn.getresponse()
        healthy.read()
        assert healthy.status == 200
        assert healthy.headers["Strict-Transport-Security"] == "max-age=31536000"
        cookies, headers = log_in(conn)
        assert cookies and all("Secure" in c and "HttpOnly" in c for c in cookies), cookies
        assert headers["Strict-Transport-Security"] == "max-age=31536000"
        plain = http.client.HTTPConnection("127.0.0.1", port, timeout=5)  # no TLS: no answer
        with pytest.raises((http.client.HTTPException, OSError)):
            plain.request("GET", "/-/healthy")
            plain.getresponse().read()
    finally:
        assert daemon.stop() == 0


class FromAddress(http.client.HTTPConnection):
    """A client connecting from a chosen loopback address (a proxy, or a stranger)."""

    def __init__(self, source: str, port: int) -> None:
        super().__init__("127.0.0.1", port, timeout=10, source_address=(source, 0))


def test_behind_a_proxy_only_the_trusted_one_says_https(tmp_path: Path, target: Target):
    target.start()
    port = free_port()
    config = write_config(tmp_path, port, http_probe(target.port), ["target-http"])
    with_server(config, "  trusted_proxies: [127.0.0.5]\n")
    password_for(config, TEKNIS, PASSWORD)
    daemon = Daemon(config, port)
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.20.30.40"}
    try:
        cookies, headers = log_in(FromAddress("127.0.0.5", port), forwarded)
        assert all("Secure" in c for c in cookies) and "Strict-Transport-Security" in headers
        cookies, headers = log_in(FromAddress("127.0.0.6", port), forwarded)  # not trusted
        assert not any("Secure" in c for c in cookies)
        assert "Strict-Transport-Security" not in headers
    finally:
        assert daemon.stop() == 0

"""The nginx front shipped in deploy/nginx-spbe-monitor.conf, run by Debian's nginx before a
real daemon: only the listening ports, certificate and networks are put to the test's
loopback values; everything else is the file an agency copies (issue 28, item 7)."""

from __future__ import annotations

import http.client
import os
import pwd
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.certs import LoopbackCA
from tests.conftest import SPBE
from tests.daemon import TEKNIS, Daemon, Target, http_probe, write_config
from tests.identities import password_for
from tests.pg import free_port
from tests.test_https import PASSWORD, log_in, with_server

SHIPPED = Path(__file__).resolve().parent.parent / "deploy" / "nginx-spbe-monitor.conf"
INTRANET = "127.0.0.0/8"  # the test's client stands on the "intranet"
MONITORING = "127.0.0.9"  # and only this loopback address on the "monitoring network"


def site_for_test(tmp: Path, daemon_port: int, http_port: int, https_port: int) -> Path:
    text = SHIPPED.read_text()
    for old, new in (("listen 80;", f"listen 127.0.0.1:{http_port};"),
                     ("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;"),
                     ("/etc/ssl/spbe/fullchain.pem", str(tmp / "nginx.pem")),
                     ("/etc/ssl/spbe/privkey.pem", str(tmp / "nginx.key")),
                     ("127.0.0.1:9740", f"127.0.0.1:{daemon_port}"),
                     ("allow 10.0.0.0/8;", f"allow {INTRANET};"),
                     ("allow 10.10.0.0/24;", f"allow {MONITORING};")):
        assert old in text, f"the shipped file no longer says {old!r}"
        text = text.replace(old, new)
    site = tmp / "site.conf"
    site.write_text(text)
    main = tmp / "nginx.conf"
    temp = {k: tmp / k for k in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    main.write_text(f"""\
daemon off;
user root;
worker_processes 1;
pid {tmp / 'nginx.pid'};
error_log {tmp / 'error.log'} warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {temp['body']};
    proxy_temp_path {temp['proxy']};
    fastcgi_temp_path {temp['fastcgi']};
    uwsgi_temp_path {temp['uwsgi']};
    scgi_temp_path {temp['scgi']};
    include {site};
}}
""")
    return main


@pytest.fixture
def nginx(tmp_path: Path, target: Target) -> Iterator[tuple[int, int, ssl.SSLContext, Path]]:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    ca = LoopbackCA(tmp_path)
    ca.server_context(("127.0.0.1", "localhost"), tag="nginx")
    target.start()
    port, http_port, https_port = free_port(), free_port(), free_port()
    config = write_config(tmp_path / "spbe", port, http_probe(target.port), ["target-http"])
    with_server(config, "  trusted_proxies: [127.0.0.1]\n")
    me = pwd.getpwuid(os.geteuid()).pw_name  # mints the API token below
    config.write_text(config.read_text() + f"konsol: {{public_status: true}}\nadmins: [{me}]\n")
    password_for(config, TEKNIS, PASSWORD)
    main = site_for_test(tmp_path, port, http_port, https_port)
    checked = subprocess.run([binary, "-t", "-c", str(main), "-e", str(tmp_path / "error.log")],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    daemon = Daemon(config, port)
    proc = subprocess.Popen([binary, "-c", str(main), "-e", str(tmp_path / "error.log")])
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                http.client.HTTPConnection("127.0.0.1", http_port, timeout=1).connect()
                break
            except OSError:
                time.sleep(0.05)
        yield http_port, https_port, ssl.create_default_context(cafile=str(ca.ca_file)), config
    finally:
        proc.terminate()
        proc.wait(10)
        assert daemon.stop() == 0


def get(port: int, path: str, tls: ssl.SSLContext | None, source: str = "127.0.0.1",
        headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    conn: http.client.HTTPConnection = (
        http.client.HTTPSConnection("127.0.0.1", port, context=tls, timeout=10,
                                    source_address=(source, 0)) if tls else
        http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0)))
    conn.request("GET", path, headers=headers or {})
    answer = conn.getresponse()
    answer.read()
    return answer


def test_the_shipped_nginx_front_serves_each_path_to_whom_docs_say(
        nginx: tuple[int, int, ssl.SSLContext, Path]) -> None:
    http_port, https_port, tls, config = nginx
    plain = get(http_port, "/konsol/masuk", None)
    assert plain.status == 301 and plain.headers["Location"].startswith("https://")
    assert get(https_port, "/status", tls).status == 200  # the public page
    # the Konsol from the intranet: the daemon believes nginx's X-Forwarded-Proto
    conn = http.client.HTTPSConnection("127.0.0.1", https_port, context=tls, timeout=10)
    cookies, headers = log_in(conn)
    assert cookies and all("Secure" in c and "HttpOnly" in c for c in cookies), cookies
    assert headers["Strict-Transport-Security"] == "max-age=31536000"
    # the API: only the monitoring network reaches it, and there a token is still needed
    assert get(https_port, "/api/v1/services", tls).status == 403
    assert get(https_port, "/api/v1/services", tls, source=MONITORING).status == 401
    token = subprocess.run([*SPBE, "--config", str(config), "token", "issue", TEKNIS],
                           capture_output=True, text=True, check=True).stdout.strip()
    served = get(https_port, "/api/v1/services", tls, source=MONITORING,
                 headers={"Authorization": f"Bearer {token}"})
    assert served.status == 200
    # nothing else leaves through the front: metrics and health are scraped directly
    for path in ("/metrics", "/-/healthy", "/api/../metrics"):
        assert get(https_port, path, tls, source=MONITORING).status in (403, 404), path

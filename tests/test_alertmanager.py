"""Alerts that reach people, with the real peers: `spbe run` probing a loopback target,
Debian's Prometheus evaluating the project's rules, Debian's Alertmanager with the config
`spbe alert-routes` writes from people.yaml and the Indonesian templates, a local SMTP server
(aiosmtpd) and a local HTTP server standing in for the Telegram API. The target goes down:
one e-mail and one Telegram message, in Indonesian; it comes back: one of each, resolved.
Also `amtool check-config` on the bundled deploy/alertmanager.yml."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml
from aiosmtpd.controller import Controller

from spbe_monitor.reports.words import waktu
from tests.conftest import ROOT, SPBE
from tests.daemon import Daemon, Target, http_probe, ledger, write_config
from tests.pg import free_port
from tests.test_dashboards import RULES, tool

pytestmark = pytest.mark.slow
CHAT = -100123456  # the Pengelola Teknis's Telegram group
TEMPLATES = ROOT / "deploy" / "alertmanager" / "spbe.tmpl"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


class TelegramApi(BaseHTTPRequestHandler):
    """Telegram's sendMessage, as far as Alertmanager uses it."""

    sent: ClassVar[list[tuple[str, dict[str, Any]]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(length).decode()
        body = json.loads(raw) if raw.startswith("{") else dict(
            p.split("=", 1) for p in raw.split("&") if "=" in p)
        TelegramApi.sent.append((self.path, body))
        reply = json.dumps({"ok": True, "result": {"message_id": len(TelegramApi.sent),
                                                   "date": int(time.time()),
                                                   "chat": {"id": CHAT, "type": "group"}}})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(reply.encode())

    def log_message(self, *args: object) -> None:
        pass


def wait(condition: Any, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


@pytest.fixture
def peers(tmp_path: Path) -> Iterator[dict[str, Any]]:
    inbox = Inbox()
    smtp_port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    TelegramApi.sent = []
    telegram = ThreadingHTTPServer(("127.0.0.1", free_port()), TelegramApi)
    threading.Thread(target=telegram.serve_forever, daemon=True).start()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        yield {"inbox": inbox, "smtp_port": smtp_port, "procs": procs,
               "telegram": f"http://127.0.0.1:{telegram.server_address[1]}"}
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
        telegram.shutdown()
        smtp.stop()


def test_an_outage_reaches_email_and_telegram_once_and_resolves_once(tmp_path, peers):
    prometheus, alertmanager = tool("prometheus"), tool("prometheus-alertmanager")
    target = Target()
    target.start()
    spbe_port, prom_port, am_port = free_port(), free_port(), free_port()
    config = write_config(tmp_path / "spbe", spbe_port, http_probe(target.port),
                          ["target-http"])
    with open(config, "a") as spbe_yaml:
        spbe_yaml.write(f"reports:\n  email: {{host: 127.0.0.1, port: {peers['smtp_port']}, "
                        "sender: spbe@serangkab.go.id, starttls: false}\n")
    services = config.parent / "services.yaml"  # named as an official knows it
    services.write_text(services.read_text().replace("name: Layanan Uji",
                                                     "name: Perizinan Online"))
    people = config.parent / "people.yaml"
    people.write_text(people.read_text().replace(
        "services: [target]}", f"services: [target], email: rina@serangkab.go.id, "
        f"telegram_chat_id: {CHAT}}}"))
    token = tmp_path / "telegram-token"
    token.write_text("123456:RAHASIA-bot-token\n")
    token.chmod(0o600)
    routes = tmp_path / "alertmanager.yml"
    written = subprocess.run(
        [*SPBE, "--config", str(config), "alert-routes", "--out", str(routes),
         "--templates", str(TEMPLATES), "--telegram-token-file", str(token), "--inline-token",
         "--telegram-api-url", peers["telegram"]], capture_output=True, text=True)
    assert written.returncode == 0, written.stderr
    assert "RAHASIA" not in written.stdout + written.stderr  # the token is never printed
    assert oct(routes.stat().st_mode & 0o777) == "0o600"
    am = yaml.safe_load(routes.read_text())
    am["route"].update(group_wait="1s", group_interval="1s")  # a test cannot wait 5 minutes
    routes.write_text(yaml.safe_dump(am))
    check = subprocess.run([tool("amtool"), "check-config", str(routes)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    # as shipped, but firing after 8 s instead of 1 min: time enough for the exporter's
    # ledger figures (the outage's number and start) to be read and scraped, as in 1 min
    rules = tmp_path / "rules.yml"
    rules.write_text(RULES.read_text().replace("for: 1m", "for: 8s"))
    (tmp_path / "prometheus.yml").write_text(f"""\
global: {{scrape_interval: 1s, evaluation_interval: 1s}}
rule_files: ["{rules}"]
alerting:
  alertmanagers: [{{static_configs: [{{targets: ["127.0.0.1:{am_port}"]}}]}}]
scrape_configs:
  - job_name: spbe-monitor
    static_configs: [{{targets: ["127.0.0.1:{spbe_port}"]}}]
""")
    procs = peers["procs"]
    procs.append(subprocess.Popen(
        [alertmanager, f"--config.file={routes}", f"--storage.path={tmp_path / 'am'}",
         f"--web.listen-address=127.0.0.1:{am_port}", "--cluster.listen-address=",
         "--log.level=warn"], env={"TZ": "Asia/Jakarta"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    procs.append(subprocess.Popen(
        [prometheus, f"--config.file={tmp_path / 'prometheus.yml'}",
         f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{prom_port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    daemon = Daemon(config, spbe_port)
    inbox = peers["inbox"]
    try:
        daemon.wait_for(lambda: daemon.service_health() == "up", "service up")
        target.stop()
        wait(lambda: inbox.messages and TelegramApi.sent, "the outage's notifications")
        time.sleep(5)  # a few more evaluations and group intervals: still one of each
        firing = [m for m in inbox.messages if "[GANGGUAN]" in m["Subject"]]
        assert len(firing) == 1 and len(TelegramApi.sent) == 1, (
            [m["Subject"] for m in inbox.messages], TelegramApi.sent)
        mail = firing[0]
        assert mail["Subject"] == "[GANGGUAN] Layanan Perizinan Online tidak tersedia"
        assert mail["To"] == "rina@serangkab.go.id"
        text = next(p for p in mail.walk() if p.get_content_type() == "text/plain")
        body = " ".join(text.get_payload(decode=True).decode().split())
        assert "spbe-monitor mendeteksi gangguan berikut" in body and " WIB" in body
        # the ledger's outage: its number, priority and first failed check, in WIB
        [outage] = ledger(config).outages()
        assert (f"Gangguan nomor {outage.id} ({outage.priority}) sejak "
                f"{waktu(outage.start_at, 'Asia/Jakarta')} menurut ledger") in body
        path, sent = TelegramApi.sent[0]
        assert path == "/bot123456:RAHASIA-bot-token/sendMessage"
        assert str(sent["chat_id"]) == str(CHAT)
        assert "GANGGUAN" in sent["text"]
        assert "Layanan Perizinan Online tidak tersedia" in sent["text"]
        target.start()
        wait(lambda: any("[PULIH]" in m["Subject"] for m in inbox.messages)
             and len(TelegramApi.sent) >= 2, "the resolved notifications")
        time.sleep(5)
        resolved = [m for m in inbox.messages if "[PULIH]" in m["Subject"]]
        assert len(resolved) == 1 and len(inbox.messages) == 2
        # what came back, not the trouble it was
        assert resolved[0]["Subject"] == "[PULIH] Layanan Perizinan Online tersedia kembali"
        assert len(TelegramApi.sent) == 2 and "PULIH" in TelegramApi.sent[1][1]["text"]
    finally:
        assert daemon.stop() == 0


def test_the_bundled_alertmanager_config_is_valid_and_current(tmp_path):
    """deploy/alertmanager.yml is what `spbe alert-routes` writes for the bundled example,
    and Alertmanager accepts it."""
    check = subprocess.run([tool("amtool"), "check-config",
                            str(ROOT / "deploy" / "alertmanager.yml")],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    out = tmp_path / "alertmanager.yml"
    regenerated = subprocess.run(
        [*SPBE, "--config", str(ROOT / "config" / "spbe.yaml"), "alert-routes", "--out",
         str(out), "--telegram-token-file", "/etc/prometheus/telegram-bot-token"],
        capture_output=True, text=True)
    assert regenerated.returncode == 0, regenerated.stderr
    assert out.read_text() == (ROOT / "deploy" / "alertmanager.yml").read_text()

"""SIGHUP reloads atomically: an invalid config is refused and the old one keeps running;
a valid one is swapped in, and unchanged probes keep their state."""

import json
import signal
import subprocess

from tests.conftest import SPBE
from tests.daemon import Daemon, tcp_probe, write_config
from tests.pg import free_port


def test_sighup_keeps_old_config_when_new_is_invalid_and_swaps_when_valid(tmp_path):
    port = free_port()
    config = write_config(tmp_path, port, tcp_probe(port), ["self-tcp"])
    daemon = Daemon(config, port)
    daemon.wait_for(lambda: daemon.service_health() == "up", "service up")
    probes = tmp_path / "probes" / "targets.yaml"
    probes.write_text(tcp_probe(port) + "    colour: blue\n")
    daemon.proc.send_signal(signal.SIGHUP)
    daemon.wait_for(lambda: "reload refused" in daemon.log.read_text(), "reload refused")
    assert "targets.yaml:7: probes.0.colour: unknown key 'colour'" in \
        daemon.log.read_text()
    status = daemon.status()
    assert status is not None and status["services"]["target"]["health"] == "up"
    probes.write_text(tcp_probe(port) + f"""\
  - id: self-http
    kind: http
    url: http://127.0.0.1:{port}/-/healthy
    interval: 1s
""")
    daemon.proc.send_signal(signal.SIGHUP)
    daemon.wait_for(lambda: "config reloaded: 2 probes" in daemon.log.read_text(), "reload")
    daemon.wait_for(lambda: (daemon.status() or {}).get("components", {}).get(
        "self-http", {}).get("health") == "up", "new probe up")
    status = daemon.status()
    assert status is not None
    assert status["services"]["target"]["health"] == "up"  # kept, not reset to unknown
    # the commands a user types against the running daemon
    cli = [*SPBE, "--config", str(config)]
    shown = json.loads(subprocess.run([*cli, "status", "--json"], capture_output=True,
                                      text=True, check=True).stdout)
    assert shown["services"]["target"]["health"] == "up"
    assert shown["scheduler"]["checks"] > 0
    one = subprocess.run([*cli, "probe", "self-http"], capture_output=True, text=True)
    assert one.returncode == 0 and "status 200" in one.stdout and "connect" in one.stdout
    assert daemon.stop() == 0
    down = subprocess.run([*cli, "probe", "self-http", "--json"], capture_output=True, text=True)
    assert down.returncode == 1 and json.loads(down.stdout)["error_kind"] == "refused"
    gone = subprocess.run([*cli, "status"], capture_output=True, text=True)
    assert gone.returncode == 1 and "no daemon answering" in gone.stderr


def test_sighup_judges_a_new_service_at_once_and_refuses_what_needs_a_restart(tmp_path):
    port = free_port()
    config = write_config(tmp_path, port, tcp_probe(port), ["self-tcp"])
    daemon = Daemon(config, port)
    daemon.wait_for(lambda: daemon.service_health() == "up", "service up")
    services = tmp_path / "services.yaml"
    text = services.read_text()
    services.write_text(text + text.split("services:\n", 1)[1].replace("id: target",
                                                                       "id: tambahan"))
    daemon.proc.send_signal(signal.SIGHUP)
    daemon.wait_for(lambda: "config reloaded" in daemon.log.read_text(), "reload")
    status = daemon.status()
    assert status is not None and status["services"]["tambahan"]["health"] == "up"
    settings = tmp_path / "spbe.yaml"
    settings.write_text(settings.read_text().replace(f"port: {port}", f"port: {free_port()}"))
    daemon.proc.send_signal(signal.SIGHUP)
    daemon.wait_for(lambda: "restart needed to change server" in daemon.log.read_text(),
                    "reload refused")
    assert daemon.status() is not None  # still serving where it was
    assert daemon.stop() == 0

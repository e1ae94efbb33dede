"""Every CLI command and every API route, fed hostile input (empty, huge, year 1 and 9999,
unicode, path traversal): a reason and exit 1–3 or a 4xx, never a traceback or a 5xx."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from urllib.parse import quote

import click
import pytest

from spbe_monitor.cli import cli
from tests.cli_helpers import spbe, token_for
from tests.test_api import KABID, PENYEDIA_IZIN, api  # noqa: F401 - the api fixture
from tests.web_clients import auth

# Paths stay inside the test's own folder (the sweep runs as root in CI: a real system file
# given as an output would be overwritten): "../../etc/passwd" climbs from a cwd two levels
# down in tmp, and FILE stands for an existing file where a folder is expected.
FILE = "{tmp}/a-file"
HOSTILE = ["", " ", "x" * 5000, "0001-01-01T00:00", "9999-12-31T23:59", "0001-01", "9999-12",
           "-1", "99999999999999999999", "2026-02-30T25:61", "Perizinan 😀 ١٢٣",
           "../../etc/passwd", FILE, "%00", "1e309", "NaN"]

HELPDESK = "199305052019031006"
SANE = {  # a valid value per parameter, so each hostile value is tried in every slot
    "service_id": "perizinan-online", "service_ids": "perizinan-online",
    "start": "2026-11-03T08:00", "end": "2026-11-03T09:00", "cause": "Listrik padam",
    "reason": "Patch", "note": "ok", "nip": KABID, "month": "2026-10", "semester": "2026-2",
    "playbook": "perizinan-online", "run_id": "1", "step_id": "declare", "decision": "retry",
    "window_id": "1", "outage_id": "1", "mode": "drill", "category": "akses",
    "nature": "publik", "basis": "umum", "scope": "nasional", "formats": "json",
    "recovery_days": "1", "downtime_hours": "1", "data_lost": "none", "probe_id": "x",
    "disaster_at": "2026-11-03T08:00", "rrule": "FREQ=WEEKLY;BYDAY=SU",
    "code": "123456", "totp": "123456", "current": "123456",
}
SKIP = {"run", "status", "probe"}  # long-running or network-bound: covered elsewhere


def leaves(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...],
                                                                         click.Command]]:
    out = []
    ctx = click.Context(group)
    for name in sorted(group.list_commands(ctx)):
        cmd = group.get_command(ctx, name)
        assert cmd is not None
        if isinstance(cmd, click.Group):
            out += leaves(cmd, (*path, name))
        elif name not in SKIP:
            out.append(((*path, name), cmd))
    return out


def invocation(path: tuple[str, ...], cmd: click.Command, hostile: str | None,
               slot: str | None, out_dir: Path) -> list[str]:
    args = list(path)
    for p in cmd.params:
        if isinstance(p, click.Option) and p.is_flag:
            continue
        value = hostile if p.name == slot else SANE.get(p.name or "")
        if p.name == "out_dir" and p.name != slot:
            value = str(out_dir)
        if value is None or (not p.required and p.name != slot):
            continue
        if isinstance(p, click.Argument):
            args.append(value)
        else:
            args += [p.opts[0], value]
    if path == ("drp", "start"):
        args.append("--detach")
    return args


@pytest.mark.parametrize("path, cmd", leaves(cli), ids=lambda v: " ".join(v)
                         if isinstance(v, tuple) else "")
def test_every_command_answers_hostile_input_with_a_reason(
        path, cmd, config_dir: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.delenv("SPBE_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home"))  # login/logout stay here
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a-file").write_text("keep me\n")
    monkeypatch.chdir(tmp_path / "a" / "b")
    cfg = ["--config", str(config_dir / "spbe.yaml")]
    # acting as the Koordinator; as a helpdesk clerk for `drp start`, who never starts a run
    acting_as = HELPDESK if path == ("drp", "start") else KABID
    monkeypatch.setenv("SPBE_TOKEN", token_for(config_dir / "spbe.yaml", acting_as))
    slots = [p.name for p in cmd.params if not (isinstance(p, click.Option) and p.is_flag)]
    problems: list[tuple[object, ...]] = []
    for slot in slots or [None]:
        for value in HOSTILE:
            value = value.replace("{tmp}", str(tmp_path))
            args = invocation(path, cmd, value, slot, tmp_path / "out")
            result = spbe(capsys, *cfg, *args)
            said = result.out + result.err
            if ("Traceback" in said or "internal error" in said
                    or result.code not in (0, 1, 2, 3) or (result.code and not result.err)):
                problems.append((args[-6:], result.code, said[-300:]))
    assert not problems, "\n".join(map(str, problems))
    assert (tmp_path / "a-file").read_text() == "keep me\n"  # never overwritten


GETS = ["/api/v1/services", "/api/v1/status", "/api/v1/availability?month={v}",
        "/api/v1/availability?month=2026-10&service={v}", "/api/v1/outages?service={v}",
        "/api/v1/maintenance?service={v}", "/api/v1/drp/runs", "/api/v1/drp/runs/{v}",
        "/api/v1/openapi.json", "/metrics", "/-/healthy", "/-/ready", "/api/v1/agent/probes"]
POSTS = ["/api/v1/maintenance/{v}/approve", "/api/v1/maintenance/{v}/cancel",
         "/api/v1/drp/runs/{v}/steps/{v}/approve", "/api/v1/maintenance", "/api/v1/outages",
         "/api/v1/outages/{v}/annotate", "/api/v1/drp/runs", "/api/v1/drp/runs/{v}/abort",
         "/api/v1/drp/runs/{v}/steps/{v}/decision", "/api/v1/drp/playbooks/{v}/approve",
         "/api/v1/agent/results", "/api/v1/services/{v}/site", "/api/v1/drp/runs/{v}/reassess",
         "/api/v1/drp/runs/{v}/evaluation", "/api/v1/drp/runs/{v}/acknowledge"]


async def test_every_route_answers_hostile_input_with_4xx_and_a_reason(
        api, caplog: pytest.LogCaptureFixture):  # noqa: F811
    caplog.set_level(logging.INFO)
    client, _, tokens = api
    values = [*HOSTILE, "\x00", "0", "1"]
    problems: list[tuple[object, ...]] = []
    for route in GETS:
        for v in values:
            resp = await client.get(route.format(v=quote(v, safe="")),
                                    headers=auth(tokens[PENYEDIA_IZIN]))
            if resp.status >= 500 and route != "/-/ready":  # not ready: no session in here
                problems.append((route, v[:40], resp.status, (await resp.text())[:200]))
    bodies = [b"", b"{", b"[]", b"null", b'"x"', json.dumps({"services": "x" * 5000}).encode(),
              json.dumps({"services": ["perizinan-online"], "start": "0001-01-01T00:00",
                          "end": "9999-12-31T23:59", "reason": "x"}).encode(),
              json.dumps({"services": ["../../etc/passwd"], "start": "2099-01-01T00:00",
                          "end": "2099-01-01T01:00", "reason": "\u0000"}).encode(),
              json.dumps({"note": "x" * 100_000}).encode()]
    for route in POSTS:
        for v in values:
            for body in bodies:
                for token in (tokens[PENYEDIA_IZIN], "forged"):
                    resp = await client.post(route.format(v=quote(v, safe="")), data=body,
                                             headers={**auth(token),
                                                      "Content-Type": "application/json"})
                    text = await resp.text()
                    reason = (json.loads(text).get("error")
                              if resp.content_type == "application/json" else text.strip())
                    if resp.status >= 500 or (resp.status >= 400 and not reason):
                        problems.append((route, v[:40], body[:60], resp.status, text[:200]))
    assert not problems, "\n".join(map(str, problems))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert any("refused a malformed request: 400 " in r.getMessage()
               and "Got more than 8190 bytes" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("token", ["", " ", "x" * 5000, "spbe_" + "A" * 43, "😀", "\t"])
def test_hostile_tokens_are_refused_with_a_reason(token: str, config_dir: Path,
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SPBE_DATABASE_URL", raising=False)
    monkeypatch.setenv("SPBE_TOKEN", token)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_dir / "nobody"))
    r = spbe(capsys, "--config", str(config_dir / "spbe.yaml"), "whoami")
    assert r.code == 3 and r.err.startswith("error: ") and "Traceback" not in r.err

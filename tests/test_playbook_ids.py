"""A playbook is named by its id in the playbooks folder, on every channel, and the
daemon opens one only for someone who could act on a playbook at all: no request reads a
file elsewhere, tells whether a path exists, or runs a playbook an OS user left in /tmp.
(issue 28, item 1: each case failed before — /etc/shadow's lines came back in the 400.)"""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from spbe_monitor.config.loader import load_config
from spbe_monitor.drp.operations import Drp
from spbe_monitor.drp.playbook import find_playbook
from spbe_monitor.errors import BadInput, NotFound, Refused
from spbe_monitor.ledger.store import Store
from tests.conftest import FakeClock
from tests.identities import as_person
from tests.web_clients import auth, daemon_client, tokens_for

KABID = "198004212005011004"  # Koordinator Pemulihan of every service
PENYEDIA_IZIN = "197001011995031001"  # eselon II, Penyedia Layanan
HELPDESK = "199305052019031006"

EVIL = """\
id: evil
version: 1
services: [perizinan-online]
recovery:
  - id: pwn
    title: x
    kind: command
    run: ["sh", "-c", "touch {marker}"]
normalisation:
  - id: close
    title: x
    kind: command
    run: ["true"]
"""
HOSTILE = ["/etc/shadow", "/nonexistent/x", "../../etc/passwd", "/proc/self/environ",
           "perizinan-online/../../../etc/passwd", "..", "", "A" * 65, "x\x00y"]


@pytest.fixture
async def api(config_dir: Path, monkeypatch: pytest.MonkeyPatch
              ) -> AsyncIterator[tuple[TestClient[web.Request, web.Application], Store,
                                       dict[str, str]]]:
    monkeypatch.delenv("SPBE_DATABASE_URL", raising=False)
    async with daemon_client(config_dir) as (client, store, clock):
        tokens = tokens_for(store, clock, KABID, PENYEDIA_IZIN, HELPDESK)
        yield client, store, tokens


async def test_a_token_holder_who_may_not_start_runs_is_refused_before_any_file_is_read(api):
    client, store, tokens = api
    answers = set()
    for name in HOSTILE:
        r = await client.post("/api/v1/drp/runs", json={"playbook": name, "mode": "drill"},
                              headers=auth(tokens[HELPDESK]))
        answers.add((r.status, (await r.json())["error"]))
    # one answer whatever was named: nothing read, nothing told about the machine's files
    assert answers == {(403, "starting a run is for a Koordinator Pemulihan")}
    refusals = [e for e in store.audit_entries() if e.outcome == "refused"]
    assert len(refusals) == len(HOSTILE)


async def test_a_koordinator_naming_a_path_gets_one_answer_and_no_content(api):
    client, _, tokens = api
    answers = {}
    for name in HOSTILE:
        r = await client.post("/api/v1/drp/runs", json={"playbook": name, "mode": "drill"},
                              headers=auth(tokens[KABID]))
        answers[name] = (r.status, (await r.json())["error"])
    assert {status for status, _ in answers.values()} == {400}
    assert len({reason for _, reason in answers.values()}) == 1  # no existence oracle
    assert all("root:" not in reason for _, reason in answers.values())
    r = await client.post("/api/v1/drp/runs", json={"playbook": "no-such-id", "mode": "drill"},
                          headers=auth(tokens[KABID]))
    assert r.status == 404 and "no playbook 'no-such-id'" in (await r.json())["error"]


async def test_document_approval_by_path_is_refused_the_same_way(api):
    client, _, tokens = api
    for nip, status in ((HELPDESK, 403), (PENYEDIA_IZIN, 400)):
        bodies = set()
        for name in ("..%2F..%2Fetc%2Fpasswd", "..%2F..%2Fnonexistent"):
            r = await client.post(f"/api/v1/drp/playbooks/{name}/approve",
                                  headers=auth(tokens[nip]))
            bodies.add((r.status, (await r.json())["error"]))
        assert {s for s, _ in bodies} == {status} and len(bodies) == 1, bodies


def test_a_playbook_left_outside_the_folder_never_runs(config_dir: Path, store: Store,
                                                       tmp_path: Path):
    marker = tmp_path / "ran"
    planted = tmp_path / "evil.yaml"  # e.g. in /tmp, by another OS user
    planted.write_text(EVIL.format(marker=marker))
    config = load_config(config_dir / "spbe.yaml")
    drp = Drp(config, store, FakeClock())
    with pytest.raises(BadInput, match="named by its id"):
        drp.start(str(planted), "drill", as_person(config, KABID), None)
    # a symlink planted in the folder that leads out of it is no playbook either
    (config.playbooks_dir / "evil.yaml").symlink_to(planted)
    with pytest.raises(NotFound):
        drp.start("evil", "drill", as_person(config, KABID), None)
    assert drp.journal.runs() == [] and not marker.exists()


def test_ids_are_found_only_as_regular_files_inside_the_folder(config_dir: Path):
    config = load_config(config_dir / "spbe.yaml")
    assert find_playbook(config, "perizinan-online").parent == config.playbooks_dir.resolve()
    fifo = config.playbooks_dir / "pipe.yaml"
    os.mkfifo(fifo)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    with pytest.raises(NotFound):  # never opened: a FIFO would hang the reader
        find_playbook(config, "pipe")


def test_the_break_glass_path_needs_an_administrator(config_dir: Path, store: Store):
    from spbe_monitor.authority import Acting

    config = load_config(config_dir / "spbe.yaml")
    drp = Drp(config, store, FakeClock())
    stranger = Acting.break_glass("nobody")
    with pytest.raises(Refused, match="break-glass"):
        drp.start("/etc/shadow", "drill", stranger, None)

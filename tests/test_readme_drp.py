"""The README's DRP walk-through, run as written on a copy of the bundled example with the
daemon running: each command of the block as the person its comment names (their token, and
a fresh code where the README shows `123456`). Followed literally, the drill must end with
RTO and RPO measured and Formulir G written."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import token_for
from tests.conftest import ROOT, SPBE
from tests.example_daemon import running_example
from tests.identities import totp_for

pytestmark = pytest.mark.slow


def walkthrough() -> list[tuple[list[str], str | None]]:
    """The README block's commands (continuation lines joined) and the NIP each names."""
    text = (ROOT / "README.md").read_text()
    block = text.split("A drill of the bundled example", 1)[1].split("```bash\n", 1)[1]
    block = block.split("```", 1)[0].replace("\\\n", " ")
    commands = []
    for line in block.splitlines():
        args = shlex.split(line, comments=True)
        assert args[0] == "spbe", line
        nip = re.search(r"#\D*(\d{18})", line)
        commands.append((args[1:], nip.group(1) if nip else None))
    return commands


@pytest.fixture
def example(tmp_path: Path) -> Iterator[Path]:
    """The bundled example in a folder of its own, its daemon running."""
    with running_example(tmp_path):
        yield tmp_path


def spbe(root: Path, args: list[str], nip: str | None) -> subprocess.CompletedProcess[str]:
    """One command as typed in the README's folder, by the person logged in."""
    config = root / "config" / "spbe.yaml"
    if nip is not None:
        args = [totp_for(config, nip) if a == "123456" else a for a in args]
    env = {k: v for k, v in os.environ.items() if k not in ("SPBE_TOKEN", "SPBE_CONFIG",
                                                             "SPBE_DATABASE_URL")}
    if nip is not None:
        env["SPBE_TOKEN"] = token_for(config, nip)
    return subprocess.run([*SPBE, *args], cwd=root, env=env, capture_output=True, text=True,
                          timeout=120)


def status(root: Path) -> dict[str, Any]:
    out = spbe(root, ["drp", "status", "1", "--json"], None)
    assert out.returncode == 0, out.stderr
    data: dict[str, Any] = json.loads(out.stdout)
    return data


def started(root: Path) -> None:
    """Wait as the person would, until the runner says that run 1 started."""
    deadline = time.monotonic() + 60
    while spbe(root, ["drp", "status", "1", "--json"], None).returncode != 0:
        assert time.monotonic() < deadline, "run 1 never started"
        time.sleep(0.3)


def reached(root: Path, step: str) -> None:
    """Wait as the person would, until the runner shows the manual step waiting for them."""
    deadline = time.monotonic() + 90
    while True:
        states = {s["id"]: s["state"] for s in status(root)["steps"]}
        if states[step] == "waiting_approval":
            return
        assert time.monotonic() < deadline, f"{step} never waited for a person: {states}"
        time.sleep(0.3)


def test_the_readme_drill_ends_with_rto_and_rpo_measured(example: Path):
    runner: subprocess.Popen[str] | None = None
    outputs = {}
    for args, nip in walkthrough():
        if args[:2] == ["drp", "start"]:
            token = token_for(example / "config" / "spbe.yaml", str(nip))
            runner = subprocess.Popen(
                [*SPBE, *args], cwd=example, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True, env={**os.environ, "SPBE_TOKEN": token}, start_new_session=True)
            started(example)
            continue
        if args[0:2] == ["drp", "approve"] and args[2] == "1" and args[3] in (
                "promote-replica", "start-app", "resync-primary"):
            reached(example, args[3])
        done = spbe(example, args, nip)
        assert done.returncode == 0, f"spbe {shlex.join(args)}: {done.stderr}"
        outputs[" ".join(args[:4])] = done.stdout
    assert runner is not None
    out, _ = runner.communicate(timeout=120)
    assert runner.returncode == 0, out

    assert "Tabel 4.3 row" in outputs["drp approve 1 analyse"]
    final = status(example)
    assert final["state"] == "done"
    [svc] = final["services"]
    assert svc["service"] == "perizinan-online"
    assert svc["rto_achieved_seconds"] is not None and svc["rto_met"] is True
    assert svc["rpo_achieved_seconds"] is not None and svc["rpo_met"] is True
    assert svc["recovery_point"].endswith("00:00:00+07:00")  # the example's nightly backup
    assert "WIB" in outputs["drp status 1"] and "RTO" in outputs["drp status 1"]
    [pdf] = (example / "var" / "reports").rglob("*.pdf")
    assert pdf.stat().st_size > 10_000
    [form] = (json.loads(p.read_text()) for p in (example / "var" / "reports").rglob("*.json"))
    assert form["tanda_tangan"]["tanggal"].startswith("Serang, ")  # reports.place
    assert form["tanda_tangan"]["koordinator_pemulihan"]["nip"] == "198004212005011004"
    assert [c["rto_tercapai"] for c in form["capaian"]] == [True]

"""Run the `spbe` command in-process and capture its exit code and output."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import pytest

from spbe_monitor.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str


def spbe(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    capsys.readouterr()
    old = sys.argv
    sys.argv = ["spbe", *args]
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv = old
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)

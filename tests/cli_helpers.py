"""Run the `spbe` command in-process and capture its exit code and output."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from spbe_monitor.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str


def spbe(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    """In-process `spbe`; `--by NIP` becomes that person's token (see `acting`)."""
    capsys.readouterr()
    old, old_token = sys.argv, os.environ.get("SPBE_TOKEN")
    config = Path(args[args.index("--config") + 1]) if "--config" in args else None
    rest, token = acting(config, args) if config else (list(args), None)
    if token:
        os.environ["SPBE_TOKEN"] = token
    sys.argv = ["spbe", *rest]
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv = old
        if token:
            if old_token is None:
                os.environ.pop("SPBE_TOKEN", None)
            else:
                os.environ["SPBE_TOKEN"] = old_token
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


_TOKENS: dict[tuple[str, str], str] = {}


def token_for(config: Path, nip: str, database_url: str | None = None) -> str:
    """A personal token for `nip` in the config's ledger, minted once per test ledger (as an
    administrator would with `spbe token issue`)."""
    from datetime import UTC, datetime

    from spbe_monitor.api.tokens import new_token
    from spbe_monitor.config.loader import load_config
    from spbe_monitor.ledger import db
    from spbe_monitor.ledger.store import Store

    url = database_url or load_config(config).database_url
    key = (url, nip)
    if key not in _TOKENS:
        engine = db.make_engine(url)
        db.upgrade(engine)
        value, hashed = new_token()
        Store(engine).add_token(nip, hashed, "os:test", datetime.now(UTC))
        engine.dispose()
        _TOKENS[key] = value
    return _TOKENS[key]


def acting(config: Path, args: tuple[str, ...]) -> tuple[list[str], str | None]:
    """Tests say who acts with `--by NIP`, as a person would log in: the pair is taken out of
    the arguments and the person's token returned, to present as SPBE_TOKEN."""
    rest = list(args)
    if "--by" not in rest:
        return rest, None
    i = rest.index("--by")
    nip = rest[i + 1]
    del rest[i:i + 2]
    return rest, token_for(config, nip)

"""The `spbe` command: parse, call, print. Exit codes: 0 ok, 1 failure, 2 bad input, 3 refused."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import click
from sqlalchemy.exc import SQLAlchemyError

from spbe_monitor.cli import (  # noqa: F401 (they add commands)
    calendar,
    daemon,
    drp,
    manual,
    people,
    reports,
)
from spbe_monitor.cli.base import cli
from spbe_monitor.errors import ConfigError, SpbeError
from spbe_monitor.ledger.durable import first_line

__all__ = ["cli", "main"]


def main() -> NoReturn:
    try:
        cli.main(standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except ConfigError as exc:
        for line in exc.errors:
            click.echo(line, err=True)
        sys.exit(exc.exit_code)
    except SpbeError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(1)
    except SQLAlchemyError as exc:
        click.echo(f"error: the ledger database: {first_line(exc)}", err=True)
        sys.exit(1)
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        click.echo(f"error: {exc.strerror or exc}{where}", err=True)
        sys.exit(1)
    except Exception as exc:  # no traceback reaches a user; SPBE_DEBUG=1 shows it
        if os.environ.get("SPBE_DEBUG"):
            raise
        click.echo(f"error: internal error ({type(exc).__name__}: {first_line(exc)}); "
                   "rerun with SPBE_DEBUG=1 for details and report it", err=True)
        sys.exit(1)
    sys.exit(0)

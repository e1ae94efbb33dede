"""The `spbe` command: parse, call, print. Exit codes: 0 ok, 1 failure, 2 bad input, 3 refused."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import click

from spbe_monitor.cli.base import cli
from spbe_monitor.errors import ConfigError, SpbeError, first_line

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
    except Exception as exc:
        sys.exit(_failed(exc))
    sys.exit(0)


def _failed(exc: Exception) -> int:
    """One line saying what failed, never a traceback (SPBE_DEBUG=1 shows it); exit 1."""
    errors = sys.modules.get("sqlalchemy.exc")  # not imported by commands without a ledger
    if errors is not None and isinstance(exc, errors.SQLAlchemyError):
        message = f"the ledger database: {first_line(exc)}"
    elif isinstance(exc, OSError):
        where = f": {exc.filename}" if exc.filename else ""
        message = f"{exc.strerror or exc}{where}"
    elif os.environ.get("SPBE_DEBUG"):
        raise exc
    else:
        message = (f"internal error ({type(exc).__name__}: {first_line(exc)}); rerun with "
                   "SPBE_DEBUG=1 for details and report it")
    click.echo(f"error: {message}", err=True)
    return 1

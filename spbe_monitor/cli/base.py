"""What every `spbe` command shares: the lazily loaded config and ledger, who is acting,
and the printing helpers."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from spbe_monitor.clock import SystemClock
from spbe_monitor.errors import BadInput

if TYPE_CHECKING:  # loaded by the commands that use them: `spbe --help` stays fast
    from spbe_monitor.authority import Acting, Authority
    from spbe_monitor.config.loader import Config
    from spbe_monitor.drp.operations import Drp
    from spbe_monitor.ledger.store import Store
    from spbe_monitor.manual import Desk

ROW_ID = click.IntRange(1, 2_147_483_647)  # ledger ids: positive 32-bit integers


class Context:
    """Loads config and opens the ledger only when a command needs them."""

    def __init__(self, config_path: Path | None) -> None:
        self.config_path = config_path
        self.clock = SystemClock()

    @cached_property
    def config(self) -> Config:
        from spbe_monitor.config.loader import load_config

        config = load_config(self.config_path)
        for warning in config.warnings:
            click.echo(f"warning: {warning}", err=True)
        return config

    def read(self, path: str, query: dict[str, str | None], direct: Callable[[], Any],
             ) -> tuple[Any, str]:
        """JSON through the running daemon when one answers on this ledger, else `direct()`
        on the ledger; with the configured zone its times are shown in."""
        from spbe_monitor.cli.remote import daemon_json

        got = daemon_json(self.config_path, path, query)
        if got is not None:
            return got[0], got[1].timezone
        return direct(), self.config.settings.timezone

    def act(self, path: str, payload: dict[str, Any], totp: str | None = None) -> Any | None:
        """An act through the daemon on this ledger, with the person's token: its JSON
        answer, or None when no daemon answers (then the command acts on the ledger)."""
        from spbe_monitor.cli.remote import daemon_act

        return daemon_act(self.config_path, path, payload, totp)

    @cached_property
    def store(self) -> Store:
        from spbe_monitor.ledger import db
        from spbe_monitor.ledger.store import Store

        engine = db.make_engine(self.config.database_url)
        db.upgrade(engine)
        return Store(engine)

    def acting(self, action: str, totp: str | None = None, offline: bool = False) -> Acting:
        """The person whose token is presented (refused and audited without one); with
        `offline`, the administrator on the break-glass path (DRP only)."""
        from spbe_monitor.identity import acting_person, break_glass

        if offline:
            who = break_glass(self.authority, action)
            click.echo(f"WARNING: break-glass: acting on the ledger as {who.actor} without a "
                       "person's credential; the audit log records it as such", err=True)
            return who
        return acting_person(self.config, self.store, self.clock.now(), action, totp)

    @cached_property
    def authority(self) -> Authority:
        from spbe_monitor.authority import Authority

        return Authority(self.config, self.store, self.clock)

    @cached_property
    def desk(self) -> Desk:
        from spbe_monitor.manual import Desk

        return Desk(self.config, self.store, self.clock)

    @cached_property
    def drp(self) -> Drp:
        from spbe_monitor.drp.operations import Drp

        return Drp(self.config, self.store, self.clock)


pass_ctx = click.make_pass_decorator(Context)
TOTP = click.option("--totp", metavar="CODE", default=None,
                    help="the 6-digit code of your authenticator (eselon II acts)")
OFFLINE = click.option("--offline", is_flag=True,
                       help="break-glass for an administrator while the daemon is down: act "
                            "on the ledger without a person's credential (audited as such)")


def report_formats(value: str) -> tuple[str, ...]:
    """--format: a comma-separated choice among the renderers."""
    from spbe_monitor.reports.render import FORMATS

    chosen = tuple(dict.fromkeys(f.strip() for f in value.split(",") if f.strip()))
    bad = [f for f in chosen if f not in FORMATS]
    if bad or not chosen:
        raise BadInput(f"--format takes a comma-separated list of {', '.join(FORMATS)}")
    return chosen


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _figure(text: str) -> bool:
    """A number, a time or an id: never cut or wrapped in a table."""
    return bool(FIGURE.fullmatch(text))


FIGURE = re.compile(r"[-+]?[\d.,:%/ ]+(?:\s?(?:WIB|WITA|WIT|s|h|d))?|[\w.-]+")


def at_terminal() -> bool:
    return sys.stdout.isatty()


def print_table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    """A table for a person at a terminal (figures kept whole, text wrapped to fit), or
    tab-separated lines when the output goes to a file or a pipe."""
    cells = [["" if v is None else str(v) for v in r] for r in rows]
    if not at_terminal():
        click.echo("\t".join(columns))
        for r in cells:
            click.echo("\t".join(c.replace("\t", " ").replace("\n", " ") for c in r))
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAD, expand=True, pad_edge=False,
                  collapse_padding=True)
    for i, c in enumerate(columns):
        values = [r[i] for r in cells]
        if values and all(_figure(v) for v in values if v):
            table.add_column(c, no_wrap=True, width=max(len(c), *map(len, values)))
        else:
            table.add_column(c, overflow="fold", ratio=1)
    for r in cells:
        table.add_row(*r)
    Console(highlight=False).print(table)


# Which module defines each command: only that one is imported to run it (`--help` and
# completion import them all). tests/test_cli_through_daemon.py checks it is complete.
COMMAND_MODULES = {
    "agent": "agent", "alert-routes": "alerts", "calendar": "calendar",
    "cluster": "cluster",
    **dict.fromkeys(["check-config", "run", "probe", "status", "db", "availability",
                     "classify"], "daemon"),
    "drp": "drp", "downtime": "manual", "maintenance": "manual", "site": "manual", "keys": "keys",
    **dict.fromkeys(["login", "passwd", "logout", "whoami", "token", "session", "totp"],
                    "people"),
    "report": "reports", "audit": "reports",
}


class LazyGroup(click.Group):
    """Imports a command's module when the command is asked for, not all of them at start."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        for name in COMMAND_MODULES:
            self._load(name)
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._load(cmd_name)
        return super().get_command(ctx, cmd_name)

    def _load(self, name: str) -> None:
        from importlib import import_module

        if name in COMMAND_MODULES and name not in self.commands:
            import_module(f"spbe_monitor.cli.{COMMAND_MODULES[name]}")


@click.group(cls=LazyGroup)
@click.option("--config", "config_path", type=click.Path(path_type=Path), envvar="SPBE_CONFIG",
              default=None, help="spbe.yaml (default config/spbe.yaml, env SPBE_CONFIG)")
@click.version_option(package_name="spbe-monitor")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None) -> None:
    """spbe-monitor: SPBE service availability per Perbup Serang 49/2024."""
    ctx.obj = Context(config_path)


@cli.result_callback()
def _sign_what_was_written(*_: Any, **__: Any) -> None:
    """A command that wrote the ledger itself (no daemon: an administrator, break-glass,
    CLI-only use) leaves no entry unsigned: the chain's head is signed and witnessed when it
    moved, by whoever holds the key (the daemon's user, root)."""
    ctx = click.get_current_context().find_object(Context)
    if ctx is None or "store" not in ctx.__dict__:
        return  # the ledger was never opened
    from spbe_monitor.ledger.checkpoints import Signer

    key = ctx.config.audit_key_path
    try:
        if not os.access(key, os.R_OK):
            return
        Signer.load_or_create(key).checkpoint(ctx.store.engine, ctx.clock.now(),
                                              only_if_moved=True)
    except OSError:
        return  # the witness is not ours to append to: the daemon signs within the minute

"""What every `spbe` command shares: the lazily loaded config and ledger, who is acting,
and the printing helpers."""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from spbe_monitor.authority import Acting, Authority
from spbe_monitor.availability.formula import Late
from spbe_monitor.clock import SystemClock
from spbe_monitor.config.fields import format_duration
from spbe_monitor.config.loader import Config, load_config
from spbe_monitor.config.models import Maintenance
from spbe_monitor.drp.operations import Drp
from spbe_monitor.errors import BadInput
from spbe_monitor.ledger import db
from spbe_monitor.ledger.store import Store
from spbe_monitor.manual import Desk

out = Console(highlight=False)
ROW_ID = click.IntRange(1, 2_147_483_647)  # ledger ids: positive 32-bit integers


class Context:
    """Loads config and opens the ledger only when a command needs them."""

    def __init__(self, config_path: Path | None) -> None:
        self.config_path = config_path
        self.clock = SystemClock()

    @cached_property
    def config(self) -> Config:
        config = load_config(self.config_path)
        for warning in config.warnings:
            click.echo(f"warning: {warning}", err=True)
        return config

    @cached_property
    def store(self) -> Store:
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
        return Authority(self.config, self.store, self.clock)

    @cached_property
    def desk(self) -> Desk:
        return Desk(self.config, self.store, self.clock)

    @cached_property
    def drp(self) -> Drp:
        return Drp(self.config, self.store, self.clock)


pass_ctx = click.make_pass_decorator(Context)
TOTP = click.option("--totp", metavar="CODE", default=None,
                    help="the 6-digit code of your authenticator (eselon II acts)")
OFFLINE = click.option("--offline", is_flag=True,
                       help="break-glass for an administrator while the daemon is down: act "
                            "on the ledger without a person's credential (audited as such)")


def late_text(late: Late, rules: Maintenance) -> str:
    return {Late.NOTICE: f"registered with less than {format_duration(rules.min_notice)} notice",
            Late.TOO_LONG: f"longer than {format_duration(rules.max_duration)}",
            Late.DURING_OUTAGE: "registered while the service was down"}[late]


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


def print_table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    table = Table(title=title)
    for c in columns:
        table.add_column(c)
    for r in rows:
        table.add_row(*("" if v is None else str(v) for v in r))
    out.print(table)


@click.group()
@click.option("--config", "config_path", type=click.Path(path_type=Path), envvar="SPBE_CONFIG",
              default=None, help="spbe.yaml (default config/spbe.yaml, env SPBE_CONFIG)")
@click.version_option(package_name="spbe-monitor")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None) -> None:
    """spbe-monitor: SPBE service availability per Perbup Serang 49/2024."""
    ctx.obj = Context(config_path)

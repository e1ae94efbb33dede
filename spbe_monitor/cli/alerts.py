"""`spbe alert-routes`: Alertmanager's configuration written from people.yaml (who answers
for which service, their e-mail and Telegram chat), with the Indonesian templates."""

from __future__ import annotations

import os
from pathlib import Path

import click

from spbe_monitor.cli.base import Context, cli, pass_ctx
from spbe_monitor.errors import BadInput

HEADER = ("# Written by `spbe alert-routes` from people.yaml and services.yaml: regenerate it\n"
          "# rather than edit it. Routes by service and severity; see docs/alerting.md.\n")


@cli.command("alert-routes")
@click.option("--out", "out_file", type=click.Path(path_type=Path, dir_okay=False),
              help="the alertmanager.yml to write (default: print it)")
@click.option("--templates", default="/etc/prometheus/alertmanager_templates/spbe.tmpl",
              show_default=True, help="where Alertmanager finds deploy/alertmanager/spbe.tmpl")
@click.option("--telegram-token-file", type=click.Path(path_type=Path, dir_okay=False),
              help="the Telegram bot's token, in a file only Alertmanager may read")
@click.option("--inline-token", is_flag=True,
              help="copy the token into the written file, for Alertmanager before 0.26 "
                   "(Debian 12 ships 0.25); needs --out, written 0600")
@click.option("--telegram-api-url", help="another Telegram API endpoint (a proxy)")
@click.option("--smtp-password-file", help="for reports.email.username (Alertmanager reads it)")
@click.option("--force", is_flag=True, help="replace --out if it exists")
@pass_ctx
def alert_routes(ctx: Context, out_file: Path | None, templates: str,
                 telegram_token_file: Path | None, inline_token: bool,
                 telegram_api_url: str | None, smtp_password_file: str | None,
                 force: bool) -> None:
    """Alertmanager routes from people.yaml: by service and severity, e-mail and Telegram."""
    import yaml

    from spbe_monitor.alerting import Delivery, alertmanager_config

    if out_file is not None and (not out_file.name or out_file.is_dir()):
        raise BadInput(f"--out {str(out_file)[:200]!r} must name a file")
    if out_file is not None and out_file.exists() and not force:
        raise BadInput(f"--out {str(out_file)[:200]} exists: add --force to replace it")
    token = None
    if inline_token:
        if telegram_token_file is None or out_file is None:
            raise BadInput("--inline-token needs --telegram-token-file and --out (the token "
                           "is never printed)")
        try:
            token = telegram_token_file.read_text().strip()
        except OSError as exc:
            raise BadInput(f"--telegram-token-file {telegram_token_file}: {exc.strerror}"
                           ) from None
        if not token:
            raise BadInput(f"--telegram-token-file {telegram_token_file} is empty")
    delivery = Delivery(templates, None if inline_token or telegram_token_file is None
                        else str(telegram_token_file), token, telegram_api_url,
                        smtp_password_file)
    data = alertmanager_config(ctx.config, delivery)
    text = HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    if out_file is None:
        click.echo(text, nl=False)
        return
    partial = out_file.with_name(f".{out_file.name}.tmp")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    os.replace(partial, out_file)
    receivers = data["receivers"]
    mails = sum(len(r.get("email_configs", [])) for r in receivers)
    chats = sum(len(r.get("telegram_configs", [])) for r in receivers)
    click.echo(f"{out_file}: {len(data['route']['routes'])} service routes, "
               f"{len(receivers)} receivers ({mails} e-mail, {chats} Telegram)")

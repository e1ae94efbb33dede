"""The keys kept outside the ledger: keys rotate."""

from __future__ import annotations

import click

from spbe_monitor.cli.base import Context, cli, pass_ctx
from spbe_monitor.credentials import os_user


@cli.group()
def keys() -> None:
    """The audit signing key and the secrets key, kept in the key folder, not the ledger."""


@keys.command("rotate")
@pass_ctx
def keys_rotate(ctx: Context) -> None:
    """A new audit signing key (administrators only): the old key signs a last checkpoint,
    its public half is kept so its checkpoints stay verifiable, its private half is deleted."""
    from spbe_monitor.ledger.checkpoints import rotate

    key = ctx.config.audit_key_path
    actor = ctx.authority.administrator(os_user(), "keys.rotate", f"key:{key.name}")
    now = ctx.clock.now()
    ctx.store.record_act(now, actor, "keys.rotate", f"key:{key.name}")
    retired = rotate(key, ctx.store.engine, now)
    click.echo(f"new audit key {key}; the old public key is kept as {retired.name} (keep a "
               "copy of both public keys with your exported audit log)")

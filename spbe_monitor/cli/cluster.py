"""`spbe cluster status`: the members of a cluster on this ledger, and who evaluates what."""

from __future__ import annotations

import click

from spbe_monitor.cli.base import Context, cli, pass_ctx, print_json, print_table
from spbe_monitor.errors import BadInput
from spbe_monitor.localtime import local_time, zone_label


@cli.group("cluster")
def cluster_group() -> None:
    """Several daemons on one PostgreSQL ledger (docs/scale-out.md)."""


@cluster_group.command("status")
@click.option("--services", "show_services", is_flag=True,
              help="also list every service with the member evaluating it")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def status(ctx: Context, show_services: bool, as_json: bool) -> None:
    """Members, their leases, the leader and the assignment of services."""
    from spbe_monitor.cluster.status import cluster_status

    if not ctx.config.database_url.startswith("postgresql"):
        raise BadInput("this ledger is SQLite: a cluster needs a PostgreSQL ledger "
                       "(docs/scale-out.md)")
    st = cluster_status(ctx.config, ctx.store.engine).as_json()
    if as_json:
        print_json(st)
        return
    zone = ctx.config.settings.timezone
    if not st["members"]:
        click.echo("no cluster member has joined this ledger")
        return
    rows = [[m["member"] + (" (leader)" if m["member"] == st["leader"] else ""), m["state"],
             m["epoch"], "-" if m["lease_left_seconds"] is None
             else f"{m['lease_left_seconds']:.1f} s", m["units"],
             local_time(m["renewed_at"], zone), "yes" if m["same_config"] else "NO", m["url"]]
            for m in st["members"]]
    print_table(f"Cluster members ({zone_label(zone)})",
                ["Member", "State", "Epoch", "Lease left", "Units", "Renewed", "Same config",
                 "URL"], rows)
    services = st["services"]
    nobody = sorted(s for s, m in services.items() if m is None)
    click.echo(f"{len(services) - len(nobody)} of {len(services)} services evaluated; "
               + (f"nobody evaluates {', '.join(nobody[:10])}"
                  + (f" and {len(nobody) - 10} more" if len(nobody) > 10 else "")
                  if nobody else "every service has its member"))
    if show_services:
        print_table("Services", ["Service", "Member"],
                    [[s, m or "-"] for s, m in services.items()])

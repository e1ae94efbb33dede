"""Manual changes to the ledger: downtime, maintenance windows, the site serving a service."""

from __future__ import annotations

from typing import Any

import click

from spbe_monitor.cli.base import ROW_ID, TOTP, Context, cli, pass_ctx, print_json, print_table
from spbe_monitor.localtime import local_time, zone_label


@cli.group()
def downtime() -> None:
    """The ledger's outages; manual entries with cause and author."""


@downtime.command("add")
@click.argument("service_id", metavar="SERVICE")
@click.option("--start", required=True, help="ISO 8601; without offset: the service's zone")
@click.option("--end", required=True)
@click.option("--cause", required=True)
@pass_ctx
def downtime_add(ctx: Context, service_id: str, start: str, end: str, cause: str,
                 ) -> None:
    """Record an outage no probe saw (users reported it); it counts like probed downtime."""
    done = ctx.act("/api/v1/outages", {"service": service_id, "start": start, "end": end,
                                        "cause": cause})
    if done is None:
        recorded = ctx.desk.add_downtime(service_id, start, end, cause,
                                         ctx.acting("downtime.add"))
        oid, overlaps = recorded.id, list(recorded.overlaps)
    else:
        oid, overlaps = done["id"], done.get("overlaps", [])
    if overlaps:
        click.echo("warning: it overlaps outage(s) already recorded: "
                   + ", ".join(map(str, overlaps))
                   + " (a duplicate? the overlapping time counts once)", err=True)
    click.echo(f"outage {oid} recorded")


@downtime.command("list")
@click.option("--service", "service_id")
@click.option("--month", help="YYYY-MM: the outages of that month (the configured zone)")
@click.option("--open", "open_only", is_flag=True, help="only those still going on")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def downtime_list(ctx: Context, service_id: str | None, month: str | None, open_only: bool,
                  as_json: bool) -> None:
    """Outages, probed or entered (times in the configured zone): every one, a month's, or
    the open ones."""
    from spbe_monitor import readings

    rows, zone = ctx.read("/api/v1/outages",
                          {"service": service_id, "month": month,
                           "open": "1" if open_only else None},
                          lambda: readings.outages(ctx.config, ctx.store, service_id, month,
                                                   open_only))
    if as_json:
        print_json(rows)
        return
    label = zone_label(zone)
    print_table("Outages (source and who entered them: --json)",
                ["ID", "Service", f"Start ({label})", f"End ({label})", "Prio", "Cause"],
                [[o["id"], o["service_id"], local_time(o["start_at"], zone),
                  local_time(o["end_at"], zone) if o["end_at"] else "open",
                  o["priority"], o["cause"] or "-"] for o in rows])


@downtime.command("annotate")
@click.argument("outage_id", type=ROW_ID, metavar="ID")
@click.option("--cause", required=True)
@pass_ctx
def downtime_annotate(ctx: Context, outage_id: int, cause: str) -> None:
    """Set an outage's cause (audited with the previous value)."""
    if ctx.act(f"/api/v1/outages/{outage_id}/annotate", {"cause": cause}) is None:
        ctx.desk.annotate(outage_id, cause, ctx.acting("downtime.annotate"))
    click.echo(f"outage {outage_id} annotated")


@cli.group()
def maintenance() -> None:
    """Scheduled maintenance, one-off or recurring (RFC 5545 RRULE)."""


@maintenance.command("add")
@click.argument("service_ids", nargs=-1, required=True, metavar="SERVICE...")
@click.option("--start", required=True)
@click.option("--end", required=True)
@click.option("--rrule", help='e.g. "FREQ=WEEKLY;BYDAY=SU"')
@click.option("--reason", required=True)
@pass_ctx
def maintenance_add(ctx: Context, service_ids: tuple[str, ...], start: str, end: str,
                    rrule: str | None, reason: str) -> None:
    """Register a maintenance window in advance, so its downtime is excused."""
    from spbe_monitor.availability.formula import Late

    done = ctx.act("/api/v1/maintenance", {"services": list(service_ids), "start": start,
                                            "end": end, "reason": reason, "rrule": rrule})
    if done is not None:
        wid, late = done["id"], Late(done["late_reason"]) if done["late_reason"] else None
    else:
        wid, late = ctx.desk.add_maintenance(list(service_ids), start, end, rrule, reason,
                                             ctx.acting("maintenance.add"))
    click.echo(f"maintenance {wid} registered")
    if late:
        from spbe_monitor.readings import late_text

        why = late_text(late, ctx.config.settings.maintenance)
        click.echo(f"warning: maintenance {wid} is late ({why}): it excuses nothing until a "
                   "Penyedia Layanan (eselon II or higher) approves it", err=True)


@maintenance.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def maintenance_list(ctx: Context, as_json: bool) -> None:
    """Every maintenance window: scheduled, or late and whether approved."""
    from spbe_monitor import readings

    rows, zone = ctx.read("/api/v1/maintenance", {},
                          lambda: readings.maintenance(ctx.config, ctx.store))
    if as_json:
        print_json(rows)
        return

    def state(w: dict[str, Any]) -> str:
        if w["cancelled_at"]:
            return "cancelled"
        why = w["late_because"] or ""
        if w["registered_late"] and len(w["approvals"]) < len(w["services"]):
            return f"late ({why}), not approved"
        return f"late ({why}), approved" if w["registered_late"] else "scheduled"
    label = zone_label(zone)
    print_table("Maintenance", ["ID", "Services", f"Start ({label})", f"End ({label})",
                                "Repeats", "Reason", "State"],
                [[w["id"], ", ".join(w["services"]),
                  local_time(w["start_at"], zone, seconds=False),
                  local_time(w["end_at"], zone, seconds=False), w["rrule"] or "-",
                  w["reason"], state(w)] for w in rows])


@maintenance.command("approve")
@click.argument("window_id", type=ROW_ID, metavar="ID")
@TOTP
@pass_ctx
def maintenance_approve(ctx: Context, window_id: int, totp: str | None) -> None:
    """Approve a late-registered window (Penyedia Layanan of the service, eselon II+, with
    --totp)."""
    done = ctx.act(f"/api/v1/maintenance/{window_id}/approve", {}, totp)
    services = done["approved_for"] if done is not None else ctx.desk.approve_maintenance(
        window_id, ctx.acting("maintenance.approve", totp))
    click.echo(f"maintenance {window_id} approved for {', '.join(services)}")


@maintenance.command("cancel")
@click.argument("window_id", type=ROW_ID, metavar="ID")
@pass_ctx
def maintenance_cancel(ctx: Context, window_id: int) -> None:
    """Cancel a window (it then excuses nothing; kept in the ledger and audited)."""
    if ctx.act(f"/api/v1/maintenance/{window_id}/cancel", {}) is None:
        ctx.desk.cancel_maintenance(window_id, ctx.acting("maintenance.cancel"))
    click.echo(f"maintenance {window_id} cancelled")


@cli.group()
def site() -> None:
    """Which site serves each service (a DRP failover switches it; so may a Koordinator
    Pemulihan)."""


@site.command("switch")
@click.argument("service_id", metavar="SERVICE")
@click.option("--to", "site_name", required=True, help="primary, or a standby site label")
@click.option("--reason", required=True)
@pass_ctx
def site_switch(ctx: Context, service_id: str, site_name: str, reason: str) -> None:
    """Record a failover (or a return) done outside a DRP run, from now on: the service's
    availability is judged on that site's probes."""
    if ctx.act(f"/api/v1/services/{service_id}/site",
               {"site": site_name, "reason": reason}) is None:
        ctx.desk.switch_site(service_id, site_name, reason, ctx.acting("site.switch"))
    click.echo(f"{service_id}: served from site {site_name}")


@site.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def site_list(ctx: Context, as_json: bool) -> None:
    """Every switch recorded, oldest first."""
    from spbe_monitor.ledger.sites import switches

    rows = switches(ctx.store.engine)
    if as_json:
        print_json([{"service": s.service_id, "site": s.site, "at": s.at.isoformat(),
                     "recorded_at": s.recorded_at.isoformat(), "run": s.run_id,
                     "step": s.step_id, "by": s.actor, "reason": s.reason} for s in rows])
        return
    zone = ctx.config.settings.timezone
    print_table("Site switches", ["service", f"from ({zone_label(zone)})", "site", "by", "reason"],
                [[s.service_id, local_time(s.at, zone), s.site, s.actor, s.reason]
                 for s in rows])

"""`spbe calendar`: a service's committed days and hours for a year, the days off applied
and where each came from (the library, a decree file, the agency's or the service's list)."""

from __future__ import annotations

import textwrap

import click

from spbe_monitor.cli.base import Context, cli, pass_ctx, print_json
from spbe_monitor.errors import BadInput


@cli.command("calendar")
@click.option("--service", "service_id", required=True, help="a service id")
@click.option("--year", type=click.IntRange(2000, 2100), help="the year to show")
@click.option("--refreeze", "month", metavar="YYYY-MM",
              help="a filed month: compute it from now on with the calendar the config gives "
                   "today (a late decree); needs --reason; recorded and audited")
@click.option("--reason", help="why a filed month's calendar changes (with --refreeze)")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def calendar_cmd(ctx: Context, service_id: str, year: int | None, month: str | None,
                 reason: str | None, as_json: bool) -> None:
    """Committed days and hours per month under each holiday rule, and the days off."""
    from spbe_monitor.config.calendar_models import HolidayRule
    from spbe_monitor.operating_year import operating_year
    from spbe_monitor.reports.words import BULAN_SINGKAT, jam_layanan

    if month is not None:
        refreeze(ctx, service_id, month, reason)
        return
    if year is None:
        raise BadInput("give --year (or --refreeze YYYY-MM --reason …)")
    view = operating_year(ctx.config, service_id, year)
    if as_json:
        print_json(view.as_json())
        return
    svc = ctx.config.service(service_id)
    rules = list(HolidayRule)

    def hours(seconds: int) -> str:
        return f"{seconds / 3600:,.1f} h" if seconds % 3600 else f"{seconds // 3600:,} h"

    click.echo(f"{svc.name} ({svc.id}), {year}: {jam_layanan(svc.operating_hours, svc.zone)}")
    click.echo(f"holidays rule: {view.rule.value} (the column marked *)")
    head = "".join(f"{('* ' if r is view.rule else '  ') + r.value:>24}" for r in rules)
    click.echo(f"{'month':<6}{head}")
    for m in view.months:
        cells = "".join(f"{m.days[r]:>7} d {hours(m.seconds[r]):>14}" for r in rules)
        click.echo(f"{BULAN_SINGKAT[m.month - 1]:<6}{cells}")
    cells = "".join(f"{view.total(r)[0]:>7} d {hours(view.total(r)[1]):>14}" for r in rules)
    click.echo(f"{'year':<6}{cells}")
    click.echo("days off applied:" if view.holidays else "days off applied: none")
    sources = list(dict.fromkeys(h.source for h, _ in view.holidays))
    for h, removed in view.holidays:
        line = (f"  {h.day} {h.day:%a}  {h.kind:<12} {h.name} [{sources.index(h.source) + 1}]"
                + ("" if removed else " (no hours that day)"))
        click.echo("\n".join(textwrap.wrap(line, 80, subsequent_indent=" " * 30)))
    for n, source in enumerate(sources, start=1):
        click.echo(f"  [{n}] {source}")
    from spbe_monitor.monthly import month_calendar

    for number in range(1, 13):
        period = f"{year:04d}-{number:02d}"
        kept = ctx.store.calendar_snapshots([svc.id], period).get(svc.id)
        now, _ = month_calendar(ctx.config, svc.id, year, number)
        if kept is not None and kept.calendar != now:
            click.echo(f"{period}: filed with another calendar than the config gives now; "
                       f"its figure keeps the filed one until `spbe calendar --service "
                       f"{svc.id} --refreeze {period} --reason …`")


def refreeze(ctx: Context, service_id: str, period: str, reason: str | None) -> None:
    """A filed month recomputed with today's calendar: a recorded, audited change."""
    from spbe_monitor.monthly import month_calendar, parse_month

    year, mon = parse_month(period)
    svc = ctx.config.service(service_id)
    if not reason or not reason.strip():
        raise BadInput("--reason is required: say which decree changed the calendar")
    kept = ctx.store.calendar_snapshots([svc.id], period).get(svc.id)
    if kept is None:
        raise BadInput(f"{period} of {svc.id} has not been filed: its figure already follows "
                       "the config")
    calendar, days_off = month_calendar(ctx.config, svc.id, year, mon)
    if calendar == kept.calendar:
        click.echo(f"{period}: the config gives the calendar it was filed with; nothing to do")
        return
    who = ctx.acting("calendar.freeze")
    actor = ctx.authority.calendar_change(who, svc.id, period)
    ctx.store.freeze_calendar(svc.id, period, calendar, list(days_off), actor,
                              ctx.clock.now(), reason.strip())
    added = sorted(calendar.off - kept.calendar.off)
    removed = sorted(kept.calendar.off - calendar.off)
    click.echo(f"{period} of {svc.id}: calendar changed (days off added: "
               f"{', '.join(map(str, added)) or 'none'}; removed: "
               f"{', '.join(map(str, removed)) or 'none'}); file Formulir F again")

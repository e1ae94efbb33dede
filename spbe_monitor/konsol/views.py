"""What the Konsol's pages show, read from the same objects as every other channel: the
month's `ServiceMonth` (figure, verdict, coverage) and Formulir F's attribution rows, so a
page and the signed form cannot disagree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from spbe_monitor.api.common import Host
from spbe_monitor.availability.calendar import month_bounds
from spbe_monitor.availability.formula import Verdict
from spbe_monitor.availability.sites import PRIMARY
from spbe_monitor.availability.sites import label as site_label
from spbe_monitor.config.models import Person
from spbe_monitor.konsol.past_months import PAST
from spbe_monitor.monthly import ServiceMonth, figures_for_month, months_back
from spbe_monitor.reports.formulir_f import verdict_text
from spbe_monitor.reports.rincian import outage_rows, window_rows
from spbe_monitor.reports.words import BULAN_SINGKAT, angka, periode, waktu

HEALTH = {"up": "normal", "degraded": "terdegradasi", "down": "tidak tersedia",
          "unknown": "belum diketahui"}


def _month(host: Host, ids: list[str]) -> list[ServiceMonth]:
    now = host.clock.now()
    local = now.astimezone(ZoneInfo(host.config.settings.timezone))
    return figures_for_month(host.config, host.store, local.year, local.month, ids, now)


def _row(host: Host, month: ServiceMonth) -> dict[str, Any]:
    svc, f = month.service, month.figures
    state = host.monitor.services.get(svc.id)
    pct = f.availability_percent
    site = host.monitor.site(svc.id)
    health = HEALTH[state.health.value] if state else "tidak dipantau"
    return {"id": svc.id, "nama": svc.name, "klasifikasi": svc.klass.label,
            "kesehatan": health if site == PRIMARY else f"{health}, aktif di situs "
            f"{site_label(site)}",
            "kesehatan_kode": state.health.value if state else "none",
            "realisasi": "-" if pct is None or month.verdict is Verdict.NOT_MONITORED
            else angka(pct, 4) + "%",
            "target": "-" if svc.availability_target is None
            else angka(svc.availability_target, 2) + "%",
            "putusan": month.verdict.value, "putusan_teks": verdict_text(month),
            "cakupan": "-" if f.coverage_percent is None else angka(f.coverage_percent, 2) + "%"}


def overview(host: Host, person: Person) -> dict[str, Any]:
    """Ringkasan: each service the person answers for, month to date, its open outage with
    the resolution deadline of its priority, and the last 12 months."""
    ids = [sid for sid in host.config.services if sid in person.services]
    months = _month(host, ids) if ids else []
    label = periode(*map(int, months[0].period.split("-"))) if months else ""
    now = host.clock.now()
    open_now = {o.service_id: o for o in host.store.outages(ids, now, now)
                if o.end_at is None} if ids else {}
    history = _history(host, ids)
    rows = []
    for m in months:
        row = _row(host, m)
        o = open_now.get(m.service.id)
        row["gangguan"] = None if o is None else {
            "prioritas": o.priority, "sejak": waktu(o.start_at, m.service.zone),
            "tenggat": waktu(o.resolve_by, m.service.zone) if o.resolve_by else "-",
            "lewat": o.resolve_by is not None and now > o.resolve_by}
        row["riwayat"] = history.get(m.service.id, [])
        rows.append(row)
    return {"periode": label, "layanan": rows}


def _history(host: Host, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The 12 months before this one, oldest first: each month's figure and verdict (kept
    while the ledger's evidence is unchanged: konsol/past_months.py)."""
    now = host.clock.now()
    local = now.astimezone(ZoneInfo(host.config.settings.timezone))
    present_from = min((month_bounds(local.year, local.month,
                                     ZoneInfo(host.config.service(sid).zone))[0] for sid in ids),
                       default=int(now.timestamp()))
    return PAST.get(host.store.engine, host.config, (tuple(ids), local.year, local.month),
                    datetime.fromtimestamp(present_from, UTC),
                    lambda: _months_before(host, ids, local, now))


def _months_before(host: Host, ids: list[str], local: datetime, now: datetime
                   ) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {sid: [] for sid in ids}
    for year, month in months_back(local.year, local.month, 13)[:-1]:
        for m in figures_for_month(host.config, host.store, year, month, ids, now):
            pct = m.figures.availability_percent
            shown = pct is not None and m.verdict is not Verdict.NOT_MONITORED
            out[m.service.id].append({
                "bulan": f"{BULAN_SINGKAT[month - 1]} {year}", "putusan": m.verdict.value,
                "persen": pct if shown else 0.0,
                "teks": angka(pct, 2) + "%" if shown and pct is not None else "tidak dinilai"})
    return out


def public_rows(host: Host) -> dict[str, Any]:
    """Status publik: every service, this month; only what a citizen may read."""
    months = _month(host, list(host.config.services))
    keep = ("nama", "klasifikasi", "kesehatan", "kesehatan_kode", "realisasi", "target",
            "putusan", "putusan_teks")
    label = periode(*map(int, months[0].period.split("-"))) if months else ""
    return {"periode": label, "sampai": waktu(host.clock.now(), host.config.settings.timezone),
            "layanan": [{k: v for k, v in _row(host, m).items() if k in keep} for m in months]}


def service_page(host: Host, service_id: str) -> dict[str, Any]:
    """Layanan: the month's figure and the outages and windows behind it."""
    [month] = _month(host, [service_id])
    svc = month.service
    now = host.clock.now()
    outages = host.store.outages([service_id], _start(month), now)
    rows, _ = outage_rows(outages, month.shares.outages, int(now.timestamp()), svc.zone)
    windows = window_rows(host.store.maintenance([service_id]), month.shares.windows,
                          service_id, {n: p.name for n, p in host.config.people.items()},
                          svc.zone)
    return {"layanan": _row(host, month), "periode": periode(*map(int,
                                                                   month.period.split("-"))),
            "gangguan": rows, "pemeliharaan": windows, "sampai": waktu(now, svc.zone)}


def _start(month: ServiceMonth) -> datetime:
    year, mon = map(int, month.period.split("-"))
    return datetime(year, mon, 1, tzinfo=ZoneInfo(month.service.zone))

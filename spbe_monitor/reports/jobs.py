"""Generating and filing reports: the command, the month-end cron job, e-mail delivery."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from spbe_monitor.availability.calendar import month_after
from spbe_monitor.config.loader import Config
from spbe_monitor.drp.operations import Drp
from spbe_monitor.errors import BadInput
from spbe_monitor.ledger.store import Store
from spbe_monitor.mail import send_mail
from spbe_monitor.monthly import month_calendar
from spbe_monitor.reports import formulir_f
from spbe_monitor.reports.inputs import collect
from spbe_monitor.reports.kop import stamped
from spbe_monitor.reports.render import Job, Printer, Written, file_report, file_reports

log = logging.getLogger("spbe.reports")
KIND_F = "formulir-f"
KIND_G = "formulir-g"


def month_over(config: Config, service_ids: list[str], year: int, month: int,
               now: datetime) -> bool:
    """True when the month has ended in every named service's zone."""
    nxt = month_after(year, month)
    return all(now >= datetime(*nxt, 1, tzinfo=ZoneInfo(config.services[s].zone))
               for s in service_ids)


def formulir_f_reports(
    config: Config, store: Store, year: int, month: int, service_ids: list[str],
    formats: tuple[str, ...], folder: Path, now: datetime, partial: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict[str, list[Written]]:
    """Formulir F for each service; a month not yet over is refused unless `partial`."""
    over = month_over(config, service_ids, year, month, now)
    if not over and not partial:
        raise BadInput(f"{year:04d}-{month:02d} is not over yet; use --partial for a "
                       "provisional report (it says so on its face)")
    period = f"{year:04d}-{month:02d}"
    if over:  # the calendar the month is filed with, kept (a later change is recorded)
        for sid in service_ids:
            calendar, days_off = month_calendar(config, sid, year, month)
            store.freeze_calendar(sid, period, calendar, list(days_off), KIND_F, now,
                                  only_if_absent=True)
    # a month past the retention horizon renders from the data it was filed with
    kept = {sid: data for sid, data in store.kept_report_data(KIND_F, period, [
        s for s in service_ids if closed(config, s, year, month, now)]).items()}
    jobs = [Job(KIND_F, sid, period, kept[sid], "formulir_f.html.j2", False)
            for sid in service_ids if sid in kept]
    with Printer(len(service_ids) if "pdf" in formats else 0) as printer:
        fresh = [s for s in service_ids if s not in kept]
        for inputs in collect(config, store, year, month, fresh, now) if fresh else []:
            data = stamped(config, formulir_f.build(inputs), "F", inputs.service.id, period)
            jobs.append(Job(KIND_F, inputs.service.id, period, data, "formulir_f.html.j2",
                            not over))
            if progress:
                progress(inputs.service.id)
        filed = file_reports(store, jobs, formats, folder, now, config.audit_key_path, printer)
    return {job.subject: written for job, written in zip(jobs, filed, strict=True)}


def closed(config: Config, service_id: str, year: int, month: int, now: datetime) -> bool:
    """The month began before the retention horizon: what it was built from may be rolled
    up, so the Formulir F kept at filing is the one."""
    start = datetime(year, month, 1, tzinfo=ZoneInfo(config.services[service_id].zone))
    return start < now - config.settings.retention.hourly


def formulir_g_report(config: Config, store: Store, drp: Drp, run_id: int,
                      formats: tuple[str, ...], folder: Path, now: datetime) -> list[Written]:
    """Formulir G for a run, filed like every form (the CLI's `drp report`, the Konsol)."""
    data = drp.formulir_g(run_id)
    data = stamped(config, data, "G", data["pelaksanaan"]["playbook"], f"run-{run_id}")
    return file_report(store, KIND_G, data["pelaksanaan"]["playbook"], f"run-{run_id}",
                       data, "formulir_g.html.j2", formats, folder, now,
                       partial=data["sementara"], audit_key=config.audit_key_path)


def recipients(config: Config, service_id: str) -> list[str]:
    """The people who answer for the service and have an e-mail address."""
    return sorted(p.email for p in config.people.values()
                  if service_id in p.services and p.email
                  and {"penyedia_layanan", "pengelola_teknis"} & set(p.roles))


def deliver(config: Config, service_id: str, period: str, files: list[Written]) -> int:
    """E-mail the filed report (PDF, else HTML) to its recipients; returns how many."""
    email = config.settings.reports.email
    to = recipients(config, service_id)
    attach = sorted((w for w in files if w.fmt in ("pdf", "html")),
                    key=lambda w: w.fmt != "pdf")[:1]  # the PDF when there is one
    if email is None or not to or not attach:
        return 0
    svc = config.services[service_id]
    kind = ("application", "pdf") if attach[0].fmt == "pdf" else ("text", "html")
    send_mail(email, to, f"Laporan Ketersediaan Layanan (Formulir F) {svc.name} {period}",
              f"Terlampir Laporan Ketersediaan Layanan {svc.name} periode {period}.\n"
              f"SHA-256: {attach[0].sha256}\n",
              (attach[0].path.name, attach[0].path.read_bytes(), *kind))
    return len(to)


def previous_month(config: Config, now: datetime) -> tuple[int, int]:
    local = now.astimezone(ZoneInfo(config.settings.timezone))
    return (local.year - 1, 12) if local.month == 1 else (local.year, local.month - 1)


def month_end_missed(config: Config, store: Store, now: datetime) -> bool:
    """The month-end job should have run and did not: past the 1st 00:05, the ledger was
    observing as the month ended, and a service has no Formulir F for it. (A new cluster
    leader asks, so a leader lost at 00:05 does not lose the month's reports.)"""
    zone = ZoneInfo(config.settings.timezone)
    local = now.astimezone(zone)
    due = datetime(local.year, local.month, 1, 0, 5, tzinfo=zone)
    if now < due or not config.services:
        return False
    year, month = previous_month(config, now)
    end = datetime(local.year, local.month, 1, tzinfo=zone)
    if not store.observed(end - timedelta(minutes=1), end):
        return False
    filed = {r["subject"] for r in store.reports(KIND_F, f"{year:04d}-{month:02d}")
             if not r["partial"]}
    return bool(set(config.services) - filed)


def month_end(config: Config, store: Store, now: datetime) -> None:
    """The 1st at 00:05: Formulir F of the month just ended, for every service; rerunning
    writes identical files or nothing, and mails only what was newly filed."""
    year, month = previous_month(config, now)
    ids = list(config.services)
    filed = formulir_f_reports(config, store, year, month, ids, ("json", "html", "pdf"),
                               config.reports_dir, now)
    period = f"{year:04d}-{month:02d}"
    for sid, files in filed.items():
        if all(w.skipped for w in files):
            continue
        try:
            sent = deliver(config, sid, period, files)
            log.info("Formulir F %s %s filed%s", sid, period,
                     f", mailed to {sent}" if sent else "")
        except (OSError, smtplib.SMTPException) as exc:
            log.error("Formulir F %s %s filed but not mailed: %s", sid, period, exc)

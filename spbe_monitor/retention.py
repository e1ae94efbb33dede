"""The retention job (nightly, on the daemon or the cluster's leader; `spbe db retain`):
whole UTC months older than `retention.hourly` lose their hourly utilisation (rolled up
into daily rows) and their superseded state transitions. Before a month is touched, every
final report filed for a month it overlaps has the data it was rendered from kept in the
ledger (taken from the filed JSON when the filing predates that), so it renders the same
bytes afterwards."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from spbe_monitor.config.loader import Config
from spbe_monitor.ledger.retention import ACTOR, MonthDone, RetentionPlan, next_month
from spbe_monitor.ledger.store import Store

log = logging.getLogger("spbe.retention")


def horizon(config: Config, now: datetime) -> datetime:
    """Whole UTC months before this one's are retained."""
    return now - config.settings.retention.hourly


def plan(config: Config, store: Store, now: datetime) -> RetentionPlan:
    return store.retention_plan(horizon(config, now))


def keep_filed(config: Config, store: Store, month: str, now: datetime) -> int:
    """Keep the data of each final report filed for a local month the UTC `month` touches
    and not kept yet; returns how many were kept."""
    lo = datetime.strptime(month, "%Y-%m").replace(tzinfo=ZoneInfo("UTC"))
    hi = next_month(lo) - timedelta(seconds=1)
    zones = {s.zone for s in config.services.values()} | {config.settings.timezone}
    periods = {f"{t.astimezone(ZoneInfo(z)):%Y-%m}" for z in zones for t in (lo, hi)}
    kept = 0
    for period in sorted(periods):
        newest: dict[tuple[str, str], dict[str, object]] = {}
        for r in store.reports(period=period):
            if not r["partial"] and r["format"] == "json":
                newest[(r["kind"], r["subject"])] = r  # in id order: the last one wins
        for (kind, subject), r in sorted(newest.items()):
            if store.kept_report_data(kind, period, [subject]):
                continue
            path = str(r["path"])
            try:
                body = open(path, "rb").read()  # noqa: SIM115 - read whole, closed at once
            except OSError as exc:
                log.warning("%s %s %s: its JSON file %s cannot be read (%s): after "
                            "retention it will render from what is left", kind, subject,
                            period, path, exc.strerror)
                continue
            if hashlib.sha256(body).hexdigest() != r["sha256"]:
                log.warning("%s %s %s: %s is not the file that was filed: not kept", kind,
                            subject, period, path)
                continue
            kept += store.keep_report_data(kind, subject, period, json.loads(body), now)
    return kept


def run(config: Config, store: Store, now: datetime, actor: str = ACTOR,
        months: int | None = None) -> list[MonthDone]:
    """Every month the plan names (or the first `months`), oldest first."""
    done = []
    for month in store.months_due(horizon(config, now))[:months]:
        keep_filed(config, store, month, now)
        d = store.compact(month, now, actor)
        log.info("retention %s: %d hourly rows into %d daily, %d transitions removed",
                 month, d.hourly_rows, d.daily_rows, d.transitions)
        done.append(d)
    return done

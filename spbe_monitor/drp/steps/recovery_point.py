"""`recovery_point`: the time of the newest recoverable data of a service (replica replay
time, newest backup), from a command that prints it or an SQL query that returns it. A time
without an offset is in the service's zone, as everywhere else; a point after the disaster
or in the future cannot be a recovery point and fails the step with the reason."""

from __future__ import annotations

import asyncio
import os
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import model_validator
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from spbe_monitor.drp.steps import command as command_step
from spbe_monitor.drp.steps.base import Ident, StepContext, StepOutcome, StepSettings


class Config(StepSettings):
    kind: Literal["recovery_point"] = "recovery_point"
    service: Ident
    run: str | list[str] | None = None  # prints an ISO 8601 time
    database: str | None = None  # SQLAlchemy URL without password …
    password_env: str | None = None
    sql: str | None = None  # … and a query returning a timestamp

    @model_validator(mode="after")
    def _source(self) -> Config:
        if (self.run is None) == (self.sql is None):
            raise ValueError("give exactly one of run (a command) or sql (with database)")
        if self.sql is not None and self.database is None:
            raise ValueError("sql needs database (an SQLAlchemy URL)")
        return self


def parse_point(value: object, zone: str) -> datetime:
    """An ISO 8601 time (or a database timestamp); naive ones are in `zone`."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).strip())
    return moment.replace(tzinfo=ZoneInfo(zone)) if moment.tzinfo is None else moment


def implausible(point: datetime, disaster_at: datetime, now: datetime) -> str | None:
    """Why `point` cannot be the newest recoverable data, or None."""
    if point > now:
        return f"the recovery point {point.isoformat()} is in the future"
    if point > disaster_at:
        return (f"the recovery point {point.isoformat()} is after the disaster "
                f"({disaster_at.isoformat()}): data newer than the disaster cannot be "
                "what was recovered; check the command's time zone")
    return None


def _query(cfg: Config) -> object:
    assert cfg.database is not None and cfg.sql is not None
    url = make_url(cfg.database)
    password = os.environ.get(cfg.password_env) if cfg.password_env else None
    engine = create_engine(url.set(password=password) if password else url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(text(cfg.sql)).scalar()
    finally:
        engine.dispose()


async def execute(cfg: Config, ctx: StepContext) -> StepOutcome:
    if cfg.run is not None:
        outcome = await command_step.execute(
            command_step.Config(id=cfg.id, title=cfg.title, run=cfg.run, timeout=cfg.timeout),
            ctx)
        if not outcome.ok:
            return outcome
        raw: object = str(outcome.output.get("output", "")).splitlines()[-1:] or [""]
        raw = raw[0] if isinstance(raw, list) else raw
    else:
        try:
            raw = await asyncio.to_thread(_query, cfg)
        except Exception as exc:  # the database's own message, password never in it
            return StepOutcome(False, f"query failed: {type(exc).__name__}")
    try:
        point = parse_point(raw, ctx.config.services[cfg.service].zone)
    except ValueError:
        return StepOutcome(False, f"not a time: {str(raw)[:80]!r}")
    why = implausible(point, datetime.fromisoformat(ctx.run["disaster_at"]), ctx.clock.now())
    if why:
        return StepOutcome(False, why, {"service": cfg.service, "rejected": point.isoformat()})
    return StepOutcome(True, f"newest recoverable data {point.isoformat()}",
                       {"service": cfg.service, "recovery_point": point.isoformat()})

"""`recovery_point`: the time of the newest recoverable data of a service (replica replay
time, newest backup), from a command that prints it or an SQL query that returns it."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from typing import Literal

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


def parse_point(value: object) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).strip())
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


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
        point = parse_point(raw)
    except ValueError:
        return StepOutcome(False, f"not a time: {str(raw)[:80]!r}")
    return StepOutcome(True, f"newest recoverable data {point.isoformat()}",
                       {"service": cfg.service, "recovery_point": point.isoformat()})

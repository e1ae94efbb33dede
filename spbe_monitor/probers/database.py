"""Database checks: connect with SQLAlchemy, run a query, compare with an expected value.
The password comes from an environment variable and is scrubbed from every message."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Literal

from pydantic import field_validator

from spbe_monitor.probers.base import ErrorKind, ProbeResult, ProbeSettings, failed
from spbe_monitor.probers.context import ProbeContext
from spbe_monitor.probers.needs import MaybeEnvVar

EXAMPLE = """\
- id: perizinan-db
  kind: database
  url: postgresql+psycopg://monitor@10.10.1.21:5432/perizinan
  password_env: PERIZINAN_DB_PASSWORD
  query: SELECT 1
  expected: "1"
  labels: {site: primary, role: database}
"""  # docs/probes.md shows it; tests/test_probe_reference.py loads it


class Config(ProbeSettings):
    kind: Literal["database"] = "database"
    url: str
    """SQLAlchemy URL without the password, e.g. `postgresql+psycopg://monitor@db1:5432/app`."""
    password_env: MaybeEnvVar = None
    """The environment variable of the daemon holding the password (never in the file)."""
    query: str = "SELECT 1"
    """The query run; its first column of the first row is compared with `expected`."""
    expected: str | None = None
    """The value the query must return (as text); none: any answer passes."""

    @field_validator("url")
    @classmethod
    def _no_password(cls, v: str) -> str:
        from sqlalchemy.engine import make_url  # only an inventory with a database probe
        from sqlalchemy.exc import ArgumentError

        try:
            parsed = make_url(v)
        except ArgumentError:
            raise ValueError(f"not an SQLAlchemy URL: {v!r}") from None
        if parsed.password is not None:
            raise ValueError("put the password in an environment variable (password_env), "
                             "not in the URL")
        return v


def _scrub(message: str, secret: str | None) -> str:
    return message.replace(secret, "***") if secret else message


def _check(cfg: Config) -> ProbeResult:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError
    from sqlalchemy.pool import NullPool

    started = time.perf_counter()
    password = os.environ.get(cfg.password_env) if cfg.password_env else None
    if cfg.password_env and password is None:
        return failed(ErrorKind.ERROR, f"environment variable {cfg.password_env} is not set")
    url = make_url(cfg.url).set(password=password) if password else make_url(cfg.url)
    timeout = max(1, int(cfg.timeout.total_seconds()))
    args = {"connect_timeout": timeout} if url.get_backend_name() in (
        "postgresql", "mysql") else {}
    engine = create_engine(url, poolclass=NullPool, connect_args=args)
    phases: dict[str, float] = {}
    try:
        with engine.connect() as conn:
            phases["connect"] = time.perf_counter() - started
            t = time.perf_counter()
            value = conn.execute(text(cfg.query)).scalar()
            phases["query"] = time.perf_counter() - t
    except DBAPIError as exc:
        msg = _scrub(str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc), password)
        kind = ErrorKind.AUTH_FAILED if "password" in msg or "auth" in msg.lower() else (
            ErrorKind.REFUSED if "refused" in msg else ErrorKind.ERROR)
        return failed(kind, msg, time.perf_counter() - started, phases)
    except SQLAlchemyError as exc:
        return failed(ErrorKind.ERROR, _scrub(str(exc), password), time.perf_counter() - started)
    finally:
        engine.dispose()
    duration = time.perf_counter() - started
    if cfg.expected is not None and str(value) != cfg.expected:
        return ProbeResult(False, duration, ErrorKind.BAD_ANSWER,
                           f"query returned {str(value)[:80]!r}, expected {cfg.expected!r}",
                           phases)
    return ProbeResult(True, duration, None, "query ok", phases)


async def probe(cfg: Config, ctx: ProbeContext) -> ProbeResult:
    return await asyncio.to_thread(_check, cfg)

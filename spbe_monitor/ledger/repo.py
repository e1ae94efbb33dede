"""What every repository over the ledger shares: the engine and two SQL helpers."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Engine, cast, func


class Repo:
    """Base of the per-concern repositories that `Store` combines."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _epoch_sql(self, column: ColumnElement[datetime]) -> ColumnElement[int]:
        """Whole epoch seconds computed by the database: no datetime parsing per row."""
        if self.engine.dialect.name == "sqlite":
            # strftime rounds fractions of a second; cut them off first, as int() does
            return cast(func.strftime("%s", func.substr(column, 1, 19)), BigInteger)
        return cast(func.floor(func.extract("epoch", column)), BigInteger)


def to_json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, default=str, sort_keys=True)


def epoch(dt: datetime) -> int:
    return int(dt.timestamp())

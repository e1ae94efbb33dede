"""What every repository over the ledger shares: the engine and its SQL helpers."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Engine,
    FromClause,
    Table,
    cast,
    func,
    or_,
    select,
    union_all,
)

Condition = Callable[[FromClause], ColumnElement[bool]]


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

    def _any_by_index(self, table: Table, *conditions: Condition) -> ColumnElement[bool]:
        """Rows of `table` meeting any of `conditions`, each answered by an index of its own,
        so that a month's read follows the rows near it, not the ledger's age. PostgreSQL
        takes the plain OR by a BitmapOr of those indexes. SQLite, which keeps no statistics
        unless analysed, plans that OR as a scan (or by another index), so it is asked for
        the ids each condition finds (UNION ALL): PostgreSQL, in turn, would hash those
        against a scan of the whole table (measured: 19 ms against 1.3 ms for three years
        of 250 services' outages)."""
        if self.engine.dialect.name != "sqlite":
            return or_(*(condition(table) for condition in conditions))
        found = [select(alias.c.id).where(condition(alias))
                 for alias, condition in ((table.alias(), c) for c in conditions)]
        return table.c.id.in_(union_all(*found))


def to_json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, default=str, sort_keys=True)


def epoch(dt: datetime) -> int:
    return int(dt.timestamp())

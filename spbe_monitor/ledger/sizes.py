"""Rows and bytes per ledger table (`spbe db stats`): what grows, before anything is pruned.
Bytes include the table's indexes. SQLite counts rows exactly and sizes pages with its
`dbstat` table; PostgreSQL's row counts are the planner's estimate (exact counts of tens of
millions of rows take minutes) and its sizes `pg_total_relation_size`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.exc import OperationalError

from spbe_monitor.ledger.tables import metadata


@dataclass(frozen=True)
class TableSize:
    table: str
    rows: int
    bytes: int | None  # None: the database cannot say
    estimated: bool  # rows from statistics, not counted

    def as_json(self) -> dict[str, object]:
        return {"table": self.table, "rows": self.rows, "bytes": self.bytes,
                "rows_estimated": self.estimated}


def table_sizes(engine: Engine) -> list[TableSize]:
    """Every ledger table, largest first."""
    names = sorted(metadata.tables)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            found = {r.relname: (max(int(r.reltuples), 0), int(r.size)) for r in conn.execute(
                text("SELECT c.relname, c.reltuples, pg_total_relation_size(c.oid) AS size "
                     "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                     "WHERE c.relkind = 'r' AND n.nspname = current_schema()"))}
            sizes = [TableSize(t, *found.get(t, (0, 0)), estimated=True) for t in names]
        else:
            pages = _sqlite_bytes(conn)
            sizes = [TableSize(t, conn.execute(select(func.count()).select_from(
                metadata.tables[t])).scalar_one(), pages.get(t) if pages else None, False)
                for t in names]
    return sorted(sizes, key=lambda s: (-(s.bytes or 0), -s.rows, s.table))


def _sqlite_bytes(conn: Connection) -> dict[str, int] | None:
    """Page bytes per table with its indexes, or None where SQLite lacks `dbstat`."""
    try:
        rows = conn.execute(text(
            "SELECT COALESCE(m.tbl_name, d.name) AS owner, SUM(d.pgsize) AS size "
            "FROM dbstat d LEFT JOIN sqlite_schema m ON m.name = d.name GROUP BY owner"))
        return {r.owner: int(r.size) for r in rows}
    except OperationalError:
        return None

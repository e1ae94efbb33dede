"""Evidence rows sealed into the audit chain: every change to a table a report or a decision
is built from appends a `seal` entry carrying the row's content hash, in the same
transaction. `spbe audit verify` recomputes each row's hash against its latest seal, so an
edit, an insert or a delete made behind spbe-monitor's back (by SQL) is named."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, RowMapping, Table, select

from spbe_monitor.ledger import witness
from spbe_monitor.ledger.audit import SEAL, SEALER, audit_in
from spbe_monitor.ledger.tables import (
    api_tokens,
    audit_checkpoints,
    audit_log,
    calendar_snapshots,
    drp_document_approvals,
    drp_journal,
    drp_runs,
    drp_steps,
    maintenance_approvals,
    maintenance_services,
    maintenance_windows,
    outage_gaps,
    outages,
    passwords,
    report_data,
    report_signoffs,
    reports,
    site_switches,
    totp_secrets,
)

SEALED: tuple[Table, ...] = (outages, outage_gaps, maintenance_windows, maintenance_services,
                             maintenance_approvals, drp_document_approvals, drp_runs, drp_steps,
                             drp_journal, reports, report_signoffs, api_tokens,
                             passwords, totp_secrets, calendar_snapshots, report_data,
                             site_switches)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def row_hash(row: RowMapping) -> str:
    """SHA-256 of the row's non-null columns, canonically: a column added later (NULL in
    old rows) does not change the hashes of rows sealed before it."""
    content = {k: _plain(v) for k, v in sorted(row.items()) if v is not None}
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


def subject(table: Table, row: RowMapping) -> str:
    return f"{table.name}:" + "/".join(str(row[c.name]) for c in table.primary_key.columns)


def seal(conn: Connection, table: Table, where: ColumnElement[bool], at: datetime) -> None:
    """Seal the rows of `table` matching `where` as they are now (call after writing them)."""
    for row in conn.execute(select(table).where(where)).mappings():
        audit_in(conn, at, SEALER, SEAL, subject(table, row), after={"sha256": row_hash(row)})


def seal_deletion(conn: Connection, table: Table, where: ColumnElement[bool],
                  at: datetime) -> None:
    """Seal the rows of `table` matching `where` as deleted (call before deleting them)."""
    for row in conn.execute(select(table).where(where)).mappings():
        audit_in(conn, at, SEALER, SEAL, subject(table, row), after={"sha256": None})


# the time a row says it was made, which decides a figure ("registered in advance"): it may not
# precede the row's first seal, written in the same transaction, across a signed checkpoint
# (the ledger was signed without it, so it was not there); rows sealed late by the migration
# that introduced seals have no checkpoint in between
CLAIMED = {maintenance_windows.name: "registered_at", maintenance_approvals.name: "approved_at",
           site_switches.name: "recorded_at"}


def _signed_without(conn: Connection, claimed: datetime, first_sealed: datetime) -> bool:
    if claimed >= first_sealed - witness.SKEW:
        return False
    return conn.execute(select(audit_checkpoints.c.id).where(
        audit_checkpoints.c.signed_at > claimed + witness.SKEW,
        audit_checkpoints.c.signed_at < first_sealed).limit(1)).first() is not None


def unsealed_changes(conn: Connection) -> list[str]:
    """Every evidence row whose content differs from its latest seal, has none, or is gone,
    or claims to be older than its first seal (backdated with a valid seal)."""
    latest: dict[str, str | None] = {}
    first: dict[str, datetime] = {}
    q = select(audit_log.c.subject, audit_log.c.after, audit_log.c.at).where(
        audit_log.c.action == SEAL).order_by(audit_log.c.id)
    for subj, after, at in conn.execute(q):
        latest[subj] = json.loads(after)["sha256"]
        if subj.split(":", 1)[0] in CLAIMED:
            first.setdefault(subj, at)
    problems = []
    seen = set()
    for table in SEALED:
        claimed = CLAIMED.get(table.name)
        for row in conn.execute(select(table)).mappings():
            subj = subject(table, row)
            seen.add(subj)
            expected = latest.get(subj)
            if expected is None:  # never sealed, or sealed as deleted
                problems.append(f"{subj} was written outside spbe-monitor (no seal)")
            elif expected != row_hash(row):
                problems.append(f"{subj} was changed outside spbe-monitor")
            elif claimed and _signed_without(conn, row[claimed], first[subj]):
                problems.append(
                    f"{subj} claims {claimed} {_plain(row[claimed])} but was first sealed at "
                    f"{_plain(first[subj])} (backdated)")
    sealed = {subj for subj, sha in latest.items() if sha is not None}
    problems += [f"{s} was deleted outside spbe-monitor" for s in sorted(sealed - seen)]
    return problems

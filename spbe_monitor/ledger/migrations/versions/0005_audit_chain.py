"""audit log hash chain (backfills existing entries in id order)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

import hashlib
from datetime import UTC
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _hash(prev: str, row: sa.Row[Any]) -> str:  # frozen copy of ledger.auditchain.entry_hash
    at = row.at.replace(tzinfo=UTC) if row.at.tzinfo is None else row.at
    fields = [prev, at.astimezone(UTC).isoformat(timespec="microseconds"), row.actor,
              row.action, row.subject, row.outcome, row.before or "", row.after or ""]
    return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    conn = op.get_bind()
    audit = sa.table("audit_log", sa.column("id"), sa.column("at", sa.DateTime()),
                     sa.column("actor"), sa.column("action"), sa.column("subject"),
                     sa.column("outcome"), sa.column("before"), sa.column("after"),
                     sa.column("prev_hash"), sa.column("hash"))
    prev = "0" * 64
    for row in conn.execute(sa.select(audit).order_by(audit.c.id)).all():
        digest = _hash(prev, row)
        conn.execute(audit.update().where(audit.c.id == row.id).values(prev_hash=prev,
                                                                        hash=digest))
        prev = digest


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")

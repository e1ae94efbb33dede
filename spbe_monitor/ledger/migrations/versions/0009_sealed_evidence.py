"""sealed evidence: signed checkpoints of the audit chain; existing evidence rows sealed

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )
    # rows written before sealing existed are sealed as they stand now, with the columns
    # they have at this revision (reflected: later migrations add more)
    from spbe_monitor.ledger.evidence import SEALED, seal

    conn = op.get_bind()
    now = datetime.now(UTC)
    reflected = sa.MetaData()
    present = set(sa.inspect(conn).get_table_names())
    for table in SEALED:
        if table.name in present:  # tables of later revisions start empty, sealed as written
            seal(conn, sa.Table(table.name, reflected, autoload_with=conn), sa.true(), now)


def downgrade() -> None:
    op.drop_table("audit_checkpoints")

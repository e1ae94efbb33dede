"""durable writes: gaps inside outages, keys of replayed writes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outage_gaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outage_id", sa.Integer(), nullable=False),
        sa.Column("start_at", sa.DateTime(), nullable=False),
        sa.Column("end_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["outage_id"], ["outages.id"],
                                name=op.f("fk_outage_gaps_outage_id_outages")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outage_gaps")),
    )
    op.create_index("ix_outage_gaps_outage", "outage_gaps", ["outage_id"])
    op.create_table(
        "applied_writes",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("applied_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_applied_writes")),
    )


def downgrade() -> None:
    op.drop_table("applied_writes")
    op.drop_index("ix_outage_gaps_outage", table_name="outage_gaps")
    op.drop_table("outage_gaps")

"""The operating calendar a month's figures were filed with (week, days off, special hours),
so a holiday added later changes a filed month only through a recorded change

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("calendar", sa.Text(), nullable=False),
        sa.Column("days_off", sa.Text(), nullable=False),
        sa.Column("frozen_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_snapshots")),
    )
    op.create_index("ix_calendar_snapshots_service_period", "calendar_snapshots",
                    ["service_id", "period"])


def downgrade() -> None:
    op.drop_index("ix_calendar_snapshots_service_period", table_name="calendar_snapshots")
    op.drop_table("calendar_snapshots")

"""DRP: the output tail of a running step, persisted as it runs

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drp_live_output",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.String(length=64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("tail", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["drp_runs.id"],
                                name=op.f("fk_drp_live_output_run_id_drp_runs")),
        sa.PrimaryKeyConstraint("run_id", "step_id", name=op.f("pk_drp_live_output")),
    )


def downgrade() -> None:
    op.drop_table("drp_live_output")

"""self-contained DRP runs: the playbook's text kept with the run; one runner per run (lease)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("drp_runs") as batch:
        batch.add_column(sa.Column("playbook_text", sa.Text(), nullable=True))
    op.create_table(
        "drp_runner_leases",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=False),
        sa.Column("acquired_at", sa.DateTime(), nullable=False),
        sa.Column("renewed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["drp_runs.id"],
                                name=op.f("fk_drp_runner_leases_run_id_drp_runs")),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_drp_runner_leases")),
    )


def downgrade() -> None:
    op.drop_table("drp_runner_leases")
    with op.batch_alter_table("drp_runs") as batch:
        batch.drop_column("playbook_text")

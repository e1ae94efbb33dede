"""drp runner

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drp_document_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("playbook_id", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("nip", sa.String(length=64), nullable=False),
        sa.Column("approved_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drp_document_approvals")),
    )
    op.create_table(
        "drp_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("playbook_id", sa.String(length=64), nullable=False),
        sa.Column("playbook_version", sa.String(length=32), nullable=False),
        sa.Column("playbook_sha256", sa.String(length=64), nullable=False),
        sa.Column("playbook_path", sa.Text(), nullable=False),
        sa.Column("document_approved", sa.Boolean(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("started_by", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("disaster_at", sa.DateTime(), nullable=False),
        sa.Column("declared_at", sa.DateTime(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drp_runs")),
    )
    op.create_table(
        "drp_journal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.String(length=64), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["drp_runs.id"], name=op.f("fk_drp_journal_run_id_drp_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drp_journal")),
    )
    with op.batch_alter_table("drp_journal", schema=None) as batch_op:
        batch_op.create_index("ix_drp_journal_run", ["run_id", "id"], unique=False)

    op.create_table(
        "drp_steps",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("waiting_since", sa.DateTime(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("output", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["drp_runs.id"], name=op.f("fk_drp_steps_run_id_drp_runs")
        ),
        sa.PrimaryKeyConstraint("run_id", "step_id", name=op.f("pk_drp_steps")),
    )


def downgrade() -> None:
    op.drop_table("drp_steps")
    with op.batch_alter_table("drp_journal", schema=None) as batch_op:
        batch_op.drop_index("ix_drp_journal_run")

    op.drop_table("drp_journal")
    op.drop_table("drp_runs")
    op.drop_table("drp_document_approvals")

"""probe engine: transitions, utilisation, deadlines

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("old", sa.String(length=16), nullable=False),
        sa.Column("new", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transitions")),
    )
    with op.batch_alter_table("transitions", schema=None) as batch_op:
        batch_op.create_index("ix_transitions_subject_at", ["subject_id", "at"], unique=False)

    op.create_table(
        "utilisation_hourly",
        sa.Column("probe_id", sa.String(length=64), nullable=False),
        sa.Column("metric", sa.String(length=128), nullable=False),
        sa.Column("hour", sa.DateTime(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("avg", sa.Float(), nullable=False),
        sa.Column("max", sa.Float(), nullable=False),
        sa.Column("max_at", sa.DateTime(), nullable=False),
        sa.Column("p95", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("probe_id", "metric", "hour", name=op.f("pk_utilisation_hourly")),
    )
    with op.batch_alter_table("outages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("respond_by", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("resolve_by", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outages", schema=None) as batch_op:
        batch_op.drop_column("resolve_by")
        batch_op.drop_column("respond_by")

    op.drop_table("utilisation_hourly")
    with op.batch_alter_table("transitions", schema=None) as batch_op:
        batch_op.drop_index("ix_transitions_subject_at")

    op.drop_table("transitions")

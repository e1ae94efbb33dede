"""Retention: daily utilisation past the horizon, and the data each filed report was
rendered from (so it renders the same bytes after its inputs are rolled up); indexes for
retention and for services' unknown spans

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # retention reads and deletes the hourly rows past the horizon by their hour: without
    # this, each month rolled up (and `spbe db stats`) scanned every row kept
    op.create_index("ix_utilisation_hour", "utilisation_hourly", ["hour"])
    # a month's figures take a service's unknown spans out of its observed time
    unknown = sa.text("subject_type = 'service' AND new = 'unknown'")
    op.create_index("ix_transitions_unknown_service", "transitions", ["subject_id", "at"],
                    postgresql_where=unknown, sqlite_where=unknown)
    op.create_table(
        "utilisation_daily",
        sa.Column("probe_id", sa.String(64), nullable=False),
        sa.Column("metric", sa.String(128), nullable=False),
        sa.Column("day", sa.DateTime(), nullable=False),
        sa.Column("samples", sa.Integer, nullable=False),
        sa.Column("avg", sa.Float, nullable=False),
        sa.Column("max", sa.Float, nullable=False),
        sa.Column("max_at", sa.DateTime(), nullable=False),
        sa.Column("p95", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("probe_id", "metric", "day",
                                name=op.f("pk_utilisation_daily")),
    )
    op.create_table(
        "report_data",
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("kept_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "subject", "period", name=op.f("pk_report_data")),
    )


def downgrade() -> None:
    op.drop_table("report_data")
    op.drop_table("utilisation_daily")
    op.drop_index("ix_transitions_unknown_service", table_name="transitions")
    op.drop_index("ix_utilisation_hour", table_name="utilisation_hourly")

"""Hourly utilisation found by probe and hour: a month's rows are read by the hour range of
every metric of a probe, which the primary key (probe, metric, hour) cannot serve — without
this index, Formulir F read every hour the ledger ever kept for its components

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_utilisation_probe_hour", "utilisation_hourly", ["probe_id", "hour"])


def downgrade() -> None:
    op.drop_index("ix_utilisation_probe_hour", table_name="utilisation_hourly")

"""Which site serves each service from when: a DRP run's health gate at the secondary site
switches a service there (from the RTO point) and normalisation's gate switches it back; a
Koordinator Pemulihan may switch it by hand. Sealed evidence: availability follows it.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "site_switches",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("service_id", sa.String(64), nullable=False),
        sa.Column("site", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("run_id", sa.Integer, nullable=True),
        sa.Column("step_id", sa.String(64), nullable=True),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index("ix_site_switches_service_at", "site_switches", ["service_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_site_switches_service_at", table_name="site_switches")
    op.drop_table("site_switches")

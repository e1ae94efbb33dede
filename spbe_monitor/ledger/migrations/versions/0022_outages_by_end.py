"""Outages found by their end: a month's outages are those still open or ending after its
start. By (service, start) alone that read every outage the ledger ever kept before the
month's end — a month's figures grew with the ledger's age — and so did finding a
service's open outage on every state change.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-29
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outages_end", "outages", ["end_at"])


def downgrade() -> None:
    op.drop_index("ix_outages_end", table_name="outages")

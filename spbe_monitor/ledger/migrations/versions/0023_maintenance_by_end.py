"""Maintenance windows found by their end, and the recurring ones by a partial index: a
month's figures, every Formulir F and every `/metrics` scrape read the windows that may
fall in their span, which without these was a scan of every window ever registered.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_maintenance_windows_end", "maintenance_windows", ["end_at"])
    recurring = sa.text("rrule IS NOT NULL")
    op.create_index("ix_maintenance_windows_recurring", "maintenance_windows", ["id"],
                    postgresql_where=recurring, sqlite_where=recurring)


def downgrade() -> None:
    op.drop_index("ix_maintenance_windows_recurring", table_name="maintenance_windows")
    op.drop_index("ix_maintenance_windows_end", table_name="maintenance_windows")

"""maintenance notice: why a window is late

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("maintenance_windows") as batch_op:
        batch_op.add_column(sa.Column("late_reason", sa.String(length=16), nullable=True))
    # windows registered before this rule: late meant registered at or after the start
    op.execute("UPDATE maintenance_windows SET late_reason = 'notice' "
               "WHERE registered_at >= start_at")


def downgrade() -> None:
    with op.batch_alter_table("maintenance_windows") as batch_op:
        batch_op.drop_column("late_reason")

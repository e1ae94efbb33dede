"""Konsol SPBE: server-side web sessions

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "konsol_sessions",
        sa.Column("id_sha256", sa.String(length=64), nullable=False),
        sa.Column("nip", sa.String(length=64), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id_sha256", name=op.f("pk_konsol_sessions")),
    )


def downgrade() -> None:
    op.drop_table("konsol_sessions")

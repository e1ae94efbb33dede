"""Cluster membership leases and unit claims (several daemons on one PostgreSQL ledger)

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cluster_members",
        sa.Column("member", sa.String(128), nullable=False),
        sa.Column("epoch", sa.Integer, nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("url", sa.String(255), nullable=False),
        sa.Column("host", sa.String(128), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("session_id", sa.Integer, nullable=True),
        sa.Column("config_digest", sa.String(16), nullable=False),
        sa.Column("joined_at", sa.DateTime(), nullable=False),
        sa.Column("renewed_at", sa.DateTime(), nullable=False),
        sa.Column("lease_until", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("member", name=op.f("pk_cluster_members")),
    )
    op.create_table(
        "cluster_claims",
        sa.Column("unit", sa.String(128), nullable=False),
        sa.Column("member", sa.String(128), nullable=False),
        sa.Column("epoch", sa.Integer, nullable=False),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("unit", name=op.f("pk_cluster_claims")),
    )
    op.create_index("ix_cluster_claims_member", "cluster_claims", ["member"])


def downgrade() -> None:
    op.drop_table("cluster_claims")
    op.drop_table("cluster_members")

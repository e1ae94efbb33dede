"""totp: a person's second factor for eselon II acts, and the last time step used

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "totp_secrets",
        sa.Column("nip", sa.String(length=64), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("nip", name=op.f("pk_totp_secrets")),
    )
    op.create_table(
        "totp_uses",
        sa.Column("nip", sa.String(length=64), nullable=False),
        sa.Column("last_step", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("nip", name=op.f("pk_totp_uses")),
    )


def downgrade() -> None:
    op.drop_table("totp_uses")
    op.drop_table("totp_secrets")

"""passwords: a person's own login (argon2id)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "passwords",
        sa.Column("nip", sa.String(length=64), nullable=False),
        sa.Column("argon2_hash", sa.String(length=255), nullable=False),
        sa.Column("set_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("nip", name=op.f("pk_passwords")),
    )


def downgrade() -> None:
    op.drop_table("passwords")

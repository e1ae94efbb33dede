"""TOTP secrets are stored encrypted (secretbox: a Fernet token, ~170 characters), no longer
as 32 base32 characters a reader of the ledger could use. The daemon encrypts the secrets an
older version stored in plain text at its next start.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("totp_secrets") as batch:
        batch.alter_column("secret", type_=sa.String(512), existing_type=sa.String(64),
                           existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("totp_secrets") as batch:
        batch.alter_column("secret", type_=sa.String(64), existing_type=sa.String(512),
                           existing_nullable=False)

"""tokens expire; their last use is kept apart

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
    op.create_table(
        "token_uses",
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["token_id"], ["api_tokens.id"],
                                name=op.f("fk_token_uses_token_id_api_tokens")),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_token_uses")),
    )
    # tokens issued before expiry existed get the default lifetime, and are sealed again
    from spbe_monitor.ledger.evidence import seal

    conn = op.get_bind()
    tokens = sa.Table("api_tokens", sa.MetaData(), autoload_with=conn)
    rows = conn.execute(sa.select(tokens.c.id, tokens.c.created_at)).all()
    for tid, created in rows:
        conn.execute(tokens.update().where(tokens.c.id == tid).values(
            expires_at=created + timedelta(days=90)))
    if rows:
        seal(conn, tokens, sa.true(), datetime.now(UTC))


def downgrade() -> None:
    op.drop_table("token_uses")
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.drop_column("expires_at")

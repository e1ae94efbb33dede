"""Konsol: the approved text of each DRP document (for the diff the next approver sees) and
"Mengetahui" sign-offs of filed reports, bound to the file's SHA-256

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("drp_document_approvals") as batch:
        batch.add_column(sa.Column("text", sa.Text(), nullable=True))
    op.create_table(
        "report_signoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("nip", sa.String(length=64), nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_signoffs")),
    )
    op.create_index("ix_report_signoffs_subject_period", "report_signoffs",
                    ["kind", "subject", "period"])


def downgrade() -> None:
    op.drop_index("ix_report_signoffs_subject_period", table_name="report_signoffs")
    op.drop_table("report_signoffs")
    with op.batch_alter_table("drp_document_approvals") as batch:
        batch.drop_column("text")

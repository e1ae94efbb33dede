"""A person's recent refusals found by index: every login and every eselon II act reads
them (failed logins lock a NIP; wrong TOTP codes throttle the next try), which without
this was a scan of the whole audit log.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06
"""

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_log_actor_at", "audit_log", ["actor", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_actor_at", table_name="audit_log")

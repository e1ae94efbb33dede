"""Alembic environment: always run with a connection handed in by ledger.db.upgrade()."""

from alembic import context

from spbe_monitor.ledger.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

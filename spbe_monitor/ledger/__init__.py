"""The durable ledger: outages, maintenance, heartbeats and the audit log (SQLAlchemy Core)."""

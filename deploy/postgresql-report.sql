-- A read-only reporting role (dashboards, an auditor's queries): the evidence, never
-- people's credentials or sessions. Run as the PostgreSQL superuser after the daemon's
-- first start made the tables, and again after an upgrade that adds tables (it is
-- idempotent; change the password first):
--   psql -v ON_ERROR_STOP=1 -d spbe -f deploy/postgresql-report.sql
-- Exercised by tests/test_postgres_roles.py.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'spbe_report') THEN
    CREATE ROLE spbe_report LOGIN PASSWORD 'change-me-report';
  END IF;
END $$;
GRANT CONNECT ON DATABASE spbe TO spbe_report;
GRANT USAGE ON SCHEMA public TO spbe_report;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO spbe_report;
REVOKE SELECT ON api_tokens, passwords, totp_secrets, konsol_sessions FROM spbe_report;

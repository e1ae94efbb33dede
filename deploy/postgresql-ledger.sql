-- The PostgreSQL ledger: the daemon's role owns it and alone writes it. Run once, as the
-- PostgreSQL superuser, before the daemon's first start (change the password first):
--   psql -v ON_ERROR_STOP=1 -f deploy/postgresql-ledger.sql
-- The daemon's URL, postgresql+psycopg://spbe_daemon:PASSWORD@HOST/spbe, goes in
-- SPBE_DATABASE_URL of /etc/spbe-monitor/secrets.env (0600, root and spbe), not spbe.yaml.
-- Exercised by tests/test_postgres_roles.py.
CREATE ROLE spbe_daemon LOGIN PASSWORD 'change-me-daemon';
CREATE DATABASE spbe OWNER spbe_daemon;
\connect spbe
REVOKE ALL ON DATABASE spbe FROM PUBLIC;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT CREATE, USAGE ON SCHEMA public TO spbe_daemon;

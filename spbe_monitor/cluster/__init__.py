"""Several daemons on one PostgreSQL ledger: membership leases, assignment, fencing."""

"""Probing from another site: `spbe agent` and what it exchanges with the central daemon."""

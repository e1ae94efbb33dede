"""Prometheus exposition: a custom collector over the daemon's state, read on every scrape."""

"""Connections shared by probes and DRP steps: TCP with phase timings, TLS certificate facts."""

"""Konsol SPBE: server-rendered pages where officials act with their own credentials."""

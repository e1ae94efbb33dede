"""The probe engine: scheduling (runner), hysteresis and service rules (state), what it
writes to the ledger (engine, through the durable writer), hourly utilisation (rollup)."""

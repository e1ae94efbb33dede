"""The probe engine: scheduling (runner), hysteresis and service rules (state), ledger
writes (recorder), hourly utilisation (rollup)."""

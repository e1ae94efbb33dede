"""The regulation (Perbup Serang 49/2024, Lampiran) as pure data and rules. No I/O."""

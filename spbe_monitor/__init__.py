"""spbe-monitor: availability monitoring and reporting per Perbup Serang 49/2024."""

__version__ = "0.1.0"

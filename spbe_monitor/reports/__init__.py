"""The regulation's forms: data builders (pure, from ledger rows), Jinja2 templates in Bahasa
Indonesia, HTML/PDF/JSON rendering, and the month-end job."""

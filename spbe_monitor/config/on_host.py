"""check-config's look at this host: every file, environment variable and path the probes
observed from here need (probers/needs.py), named at the file and line that asks for it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from spbe_monitor.config.loader import Config
from spbe_monitor.probers.base import ProbeSettings
from spbe_monitor.probers.needs import missing

WHAT = {"file": "file", "env": "environment variable", "path": "local path"}


def _here(config: Config) -> list[ProbeSettings]:
    """The probes this daemon checks itself (an agent's are its host's business)."""
    home = config.settings.location
    return [p for p in config.probes.values() if not p.locations or home in p.locations]


def _first_run_makes(config: Config) -> set[Path]:
    """The folder `spbe run` creates for a SQLite ledger not made yet: a probe watching
    that disk (the bundled example's ledger-disk) is fine before the first run."""
    from sqlalchemy.engine import make_url

    url = make_url(config.database_url)
    if url.get_backend_name() != "sqlite" or not url.database or Path(url.database).exists():
        return set()
    return {Path(url.database).resolve().parent}


def unmet(config: Config) -> list[str]:
    """`file:line: probes[i].setting: why` for every need not met on this host now."""
    out = []
    made = _first_run_makes(config)
    for cfg in _here(config):
        doc, loc = config.probe_sources.get(cfg.id, (None, ()))
        for need in cfg.needs():
            if need.kind == "path" and Path(need.value).resolve() in made:
                continue
            why = missing(need)
            if why is None:
                continue
            where = doc.where((*loc, *need.at)) if doc is not None else str(config.probes_dir)
            out.append(f"{where}: probe {cfg.id}: {need.setting}: {why}")
    return out


def checked(config: Config) -> str:
    """What `unmet` looks at, in words ("3 files, 1 environment variable…")."""
    kinds = Counter(n.kind for cfg in _here(config) for n in cfg.needs())
    return ", ".join(f"{n} {WHAT[k]}{'s' if n != 1 else ''}"
                     for k, n in sorted(kinds.items())) or "nothing"

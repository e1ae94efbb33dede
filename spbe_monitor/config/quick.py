"""What the light `spbe` commands need from spbe.yaml before, or instead of, the full load:
where the daemon answers, the configured zone and which ledger it means. Read with libyaml
in milliseconds and without pydantic; anything unexpected gives None and the command takes
the full path, whose loader reports the problem at file:line."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PATH = Path("config/spbe.yaml")
DEFAULT_ZONE = "Asia/Jakarta"
DEFAULT_DATABASE = "sqlite:///spbe.db"
DEFAULT_LISTEN = "127.0.0.1"
DEFAULT_PORT = 9740
LEDGER_HEADER = "X-SPBE-Ledger"
TOTP_HEADER = "X-SPBE-TOTP"  # the code for an eselon II act, beside the bearer token
ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


@dataclass(frozen=True)
class Basics:
    """The daemon's base URL, the configured zone, the ledger's fingerprint."""

    url: str
    host: str
    port: int
    timezone: str
    ledger: str


def config_path(given: Path | None) -> Path:
    return given or Path(os.environ.get("SPBE_CONFIG", DEFAULT_PATH))


def resolve_database_url(url: str, base: Path) -> str:
    """Relative SQLite paths resolve against the config file's folder, not the cwd. (Read
    without SQLAlchemy: commands that never open the ledger do not load it.)"""
    scheme, slashes, rest = url.partition(":///")
    if not slashes or scheme.split("+")[0] != "sqlite":
        return url
    path, mark, query = rest.partition("?")
    if path in ("", ":memory:") or Path(path).is_absolute():
        return url
    return f"{scheme}:///{(base / path).resolve()}{mark}{query}"


def ledger_fingerprint(database_url: str) -> str:
    """Names a ledger without revealing it: the URL without its password, hashed. The daemon
    sends it with every answer, so the CLI only trusts a daemon on its own ledger."""
    bare = re.sub(r"^([^:/]+://[^:/@]*):[^@]*@", r"\1@", database_url)
    return hashlib.sha256(bare.encode()).hexdigest()[:16]


def basics(given: Path | None) -> Basics | None:
    """spbe.yaml's server, timezone and database, or None when the file is not plainly
    readable (the full loader then says why)."""
    import yaml

    path = config_path(given)
    try:
        doc = yaml.load(path.read_bytes(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError):
        return None
    if not isinstance(doc, dict):
        return None
    server = doc.get("server") or {}
    zone = doc.get("timezone", DEFAULT_ZONE)
    database = os.environ.get("SPBE_DATABASE_URL") or doc.get("database", DEFAULT_DATABASE)
    if not isinstance(server, dict) or not isinstance(zone, str) or not isinstance(database, str):
        return None
    listen = server.get("listen", DEFAULT_LISTEN)
    port = server.get("port", DEFAULT_PORT)
    if not isinstance(listen, str) or not isinstance(port, int) or not 0 < port < 65536:
        return None
    host = ANY_ADDRESS.get(listen, listen)
    if not os.environ.get("SPBE_DATABASE_URL"):
        database = resolve_database_url(database, path.parent)
    name = f"[{host}]" if ":" in host else host
    return Basics(f"http://{name}:{port}", host, port, zone, ledger_fingerprint(database))

"""Who is at the keyboard, as the kernel knows it, and the token they present: light enough
for every CLI command (the readers send it to the daemon)."""

from __future__ import annotations

import os
import pwd
from pathlib import Path


def os_user() -> str:
    """The OS user acting (the effective uid): never LOGNAME or USER, which anyone sets
    (`LOGNAME=root spbe token issue` minted tokens as an administrator)."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # a uid without a passwd entry (containers)
        return f"uid{os.geteuid()}"


def token_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "spbe" / "token"


def presented_token() -> str | None:
    """SPBE_TOKEN, else what `spbe login` kept for this OS user."""
    value = os.environ.get("SPBE_TOKEN")
    if value:
        return value.strip()
    try:
        return token_file().read_text().strip() or None
    except OSError:
        return None

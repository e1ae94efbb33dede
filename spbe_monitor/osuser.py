"""Who is at the keyboard, as the kernel knows it: light enough for every CLI command."""

from __future__ import annotations

import os
import pwd


def os_user() -> str:
    """The OS user acting (the effective uid): never LOGNAME or USER, which anyone sets
    (`LOGNAME=root spbe token issue` minted tokens as an administrator)."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # a uid without a passwd entry (containers)
        return f"uid{os.geteuid()}"

"""The unprivileged account DRP command steps run as when the tests run as root (scripts/test
creates it, as ./scripts/run does): folders those steps write are handed to it."""

from __future__ import annotations

import os
import pwd
import stat
import sys
from pathlib import Path

NAME = "spbe"
# a Python the service user can run: ours may live in root's 0700 home (pyenv)
PYTHON = "/usr/bin/python3" if os.geteuid() == 0 else sys.executable


def hand_over(folder: Path) -> None:
    """Let the service user write `folder` (the steps' working files) and reach it through
    pytest's 0700 temporary folders. A non-root test run needs nothing: steps run as it."""
    if os.geteuid() != 0:
        return
    entry = pwd.getpwnam(NAME)
    os.chown(folder, entry.pw_uid, entry.pw_gid)
    for parent in folder.resolve().parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)

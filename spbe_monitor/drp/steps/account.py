"""Which OS account a playbook's local commands run as: never root. A daemon or runner started
as root hands them to the service user (settings `service_user`); one that is already
unprivileged runs them as itself. A playbook is text anyone with write access to the
playbooks folder can change, so running it as root would make that folder root's shell."""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass


class NoServiceUser(Exception):
    """Root was asked to run a command and has nobody unprivileged to hand it to."""


@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    gid: int
    home: str

    def env(self) -> dict[str, str]:
        """Our environment with its own names (a command reading $HOME must not find root's)."""
        return {**os.environ, "HOME": self.home, "USER": self.name, "LOGNAME": self.name}

    def cwd(self) -> str:
        return self.home if os.path.isdir(self.home) else "/"


def for_commands(service_user: str) -> Account | None:
    """None: run as ourselves (we are not root). Otherwise the unprivileged account."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(service_user)
    except KeyError:
        raise NoServiceUser(
            f"commands never run as root, and there is no OS user {service_user!r} to run them"
            " as (settings service_user; ./scripts/run and the packaged unit create 'spbe')"
        ) from None
    if entry.pw_uid == 0:
        raise NoServiceUser(f"service_user {service_user!r} is root; commands never run as root")
    return Account(entry.pw_name, entry.pw_uid, entry.pw_gid, entry.pw_dir)

"""What a probe needs on the monitor's own host before it can check anything: a file it
reads (an SSH key, known_hosts, a CA), a variable it reads a secret from, or a local path
it watches. Settings are marked by their type (`LocalFile`, `EnvVar`, `LocalPath`), so a
new setting of that kind is checked by check-config and before every check without a
list to keep up to date.

A missing file or variable is the monitor's own failure: the check cannot start, nothing
is learnt of the target, the time is unobserved — never the service's downtime. A missing
watched path is the target's own state (a mount gone), so only check-config names it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel


@dataclass(frozen=True)
class OnHost:
    kind: Literal["file", "env", "path"]


LocalFile = Annotated[str, OnHost("file")]
MaybeLocalFile = Annotated[str | None, OnHost("file")]
MaybeEnvVar = Annotated[str | None, OnHost("env")]
LocalPath = Annotated[str, OnHost("path")]
MaybeLocalPath = Annotated[str | None, OnHost("path")]


@dataclass(frozen=True)
class Need:
    at: tuple[str, ...]  # the setting, from the probe: ("ssh", "key_file")
    kind: Literal["file", "env", "path"]
    value: str

    @property
    def setting(self) -> str:
        return ".".join(self.at)


def needs_of(model: BaseModel, at: tuple[str, ...] = ()) -> list[Need]:
    """Every marked setting of `model` and of the models it holds, that is set."""
    out: list[Need] = []
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            out += needs_of(value, (*at, name))
            continue
        mark = next((m for m in info.metadata if isinstance(m, OnHost)), None)
        if mark is not None and isinstance(value, str):
            out.append(Need((*at, name), mark.kind, value))
    return out


def missing(need: Need) -> str | None:
    """Why `need` is not met on this host now, or None."""
    if need.kind == "env":
        return None if os.environ.get(need.value) else (
            f"environment variable {need.value} is not set")
    path = Path(need.value).expanduser()
    if need.kind == "path":
        return None if path.exists() else f"{path} does not exist on this host"
    if not path.exists():
        return f"{path} does not exist"
    if path.is_dir():
        return f"{path} is a folder, not a file"
    if not os.access(path, os.R_OK):
        return f"{path} is not readable by this user (uid {os.geteuid()})"
    return None

"""docs/probes.md, written from the probe models themselves: each kind's purpose (its
module's docstring), every setting with its default and its docstring, and the kind's
example (its module's `EXAMPLE`, which the tests load). A setting added without a
docstring fails the test that compares the file with this output.

    python -m spbe_monitor.probers.reference > docs/probes.md
"""

from __future__ import annotations

import sys
from datetime import timedelta
from importlib import import_module
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from spbe_monitor.config.fields import format_duration
from spbe_monitor.probers import KINDS
from spbe_monitor.probers.base import ProbeSettings

HEAD = """\
# Probe settings

Every file `probes/*.yaml` holds `probes:`, a list of checks. The settings every probe
has come first, then each kind's own. Durations are written `500ms`, `30s`, `5m`, `1h`,
`14d`. A file, key or variable a probe needs on this host is checked by
`spbe check-config` (not with `--offline`), and a check that cannot start because one is
missing is the monitor's own failure — unobserved time, never a service's downtime.

_Generated from the probe models by `python -m spbe_monitor.probers.reference`; do not edit._
"""


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    value: Any = field.get_default(call_default_factory=True)
    if value is None or value in ((), [], {}):
        return "-"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, timedelta):
        return f"`{format_duration(value)}`"
    if isinstance(value, list | tuple):
        return "`[" + ", ".join(str(v) for v in value) + "]`"
    return f"`{value}`"


def _table(model: type[BaseModel], skip: set[str], prefix: str = "") -> list[str]:
    rows = []
    for name, field in model.model_fields.items():
        if name in skip:
            continue
        text = " ".join((field.description or "").split())
        rows.append(f"| `{prefix}{name}` | {_default(field)} | {text} |")
        inner = field.annotation
        nested = [a for a in getattr(inner, "__args__", (inner,))
                  if isinstance(a, type) and issubclass(a, BaseModel)]
        for sub in nested:
            rows += _table(sub, set(), f"{prefix}{name}.")
    return rows


def undocumented() -> list[str]:
    """Every setting without its docstring, as `kind.setting`."""
    out = []
    for kind, (model, _) in sorted(KINDS.items()):
        for line in _table(model, {"kind"}):
            if line.endswith("|  |"):
                out.append(f"{kind}.{line.split('`')[1]}")
    return out


def markdown() -> str:
    parts = [HEAD, "## Every probe\n", "| Setting | Default | What it does |",
             "|---|---|---|", *_table(ProbeSettings, set()), ""]
    own = set(ProbeSettings.model_fields)
    for kind, (model, _) in sorted(KINDS.items()):
        module = import_module(model.__module__)
        purpose = " ".join((module.__doc__ or "").split("\n\n")[0].split())
        parts += [f"## `{kind}`\n", purpose + "\n", "| Setting | Default | What it does |",
                  "|---|---|---|", *_table(model, own), "", "```yaml",
                  getattr(module, "EXAMPLE", "").rstrip(), "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    sys.stdout.write(markdown())

"""Steps a person completes: `manual` (confirm with a note) and `approval` (an extra gate
by eselon and role). They wait for `spbe drp approve`; nothing is executed."""

from __future__ import annotations

from typing import Literal

from spbe_monitor.drp.steps.base import StepSettings
from spbe_monitor.regulation.eselon import Eselon
from spbe_monitor.regulation.roles import Role


class Manual(StepSettings):
    kind: Literal["manual"] = "manual"
    instructions: str | None = None


class Approval(StepSettings):
    kind: Literal["approval"] = "approval"
    min_eselon: Eselon = Eselon.III
    roles: tuple[Role, ...] = ()  # any of these; empty: any role

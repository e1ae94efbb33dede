"""Typed rows the ledger hands out: what callers read, never SQLAlchemy rows."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from spbe_monitor.availability.intervals import Interval


@dataclass(frozen=True)
class Outage:
    id: int
    service_id: str
    start_at: datetime
    end_at: datetime | None
    impact: str
    priority: str
    source: str
    cause: str | None
    entered_by: str | None
    closed_unobserved: bool
    respond_by: datetime | None = None
    resolve_by: datetime | None = None
    seen_from: str | None = None  # the locations that saw it down, comma-separated
    # spans inside the outage nobody observed (the daemon was down): never downtime
    gaps: tuple[tuple[datetime, datetime], ...] = ()

    def spans(self, until: int) -> list[Interval]:
        """Epoch spans the outage counts (open ones run to `until`), its gaps cut out."""
        end = until if self.end_at is None else int(self.end_at.timestamp())
        return cut_gaps(int(self.start_at.timestamp()), end,
                        [(int(a.timestamp()), int(b.timestamp())) for a, b in self.gaps])


def cut_gaps(start: int, end: int, gaps: list[Interval]) -> list[Interval]:
    """`[start, end)` less the gaps, in order, empty pieces dropped."""
    out, pos = [], start
    for a, b in sorted(gaps):
        if a > pos:
            out.append((pos, min(a, end)))
        pos = max(pos, b)
    if pos < end:
        out.append((pos, end))
    return [(a, b) for a, b in out if a < b]


@dataclass(frozen=True)
class Approval:
    service_id: str
    approved_by: str
    approved_at: datetime


@dataclass(frozen=True)
class MaintenanceWindow:
    id: int
    services: tuple[str, ...]
    start_at: datetime
    end_at: datetime
    rrule: str | None
    timezone: str
    reason: str
    registered_at: datetime
    registered_by: str
    cancelled_at: datetime | None
    cancelled_by: str | None
    late_reason: str | None = None  # why its first occurrence is not scheduled (Late)
    approvals: tuple[Approval, ...] = field(default=())

    @property
    def registered_late(self) -> bool:
        """Not scheduled in advance: excuses nothing unless approved."""
        return self.late_reason is not None

    def approved_for(self, service_id: str) -> bool:
        return any(a.service_id == service_id for a in self.approvals)


@dataclass(frozen=True)
class UtilisationHour:
    probe_id: str
    metric: str
    hour: datetime
    samples: int
    avg: float
    max: float
    max_at: datetime
    p95: float


@dataclass(frozen=True)
class TransitionRow:
    """One state change of a component or service, as the engine saw it."""

    subject_type: str  # component | service
    subject_id: str
    at: datetime
    old: str
    new: str
    message: str


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    subject: str
    outcome: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def as_dict(row: Any) -> dict[str, Any]:
    """A row dataclass as plain JSON-ready data (datetimes as ISO 8601 UTC)."""
    def conv(v: Any) -> Any:
        if isinstance(v, datetime):
            return v.isoformat()
        if isinstance(v, tuple | list):
            return [conv(x) for x in v]
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        return v
    return {k: conv(v) for k, v in asdict(row).items()}

"""The engine's ledger changes as typed records: each applies itself on a connection and
round-trips through JSON, so the durable writer can batch them into one transaction or keep
them in its spool while the database refuses, and replay them later in order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, TypeAdapter
from sqlalchemy import Connection

from spbe_monitor.ledger.membership import release
from spbe_monitor.ledger.outages import (
    close_outage,
    close_unobserved,
    open_outage,
    record_transitions,
)
from spbe_monitor.ledger.records import TransitionRow, UtilisationHour
from spbe_monitor.ledger.sessions import beat, session_of, start_session
from spbe_monitor.ledger.utilisation import merge_utilisation


@dataclass(frozen=True)
class OpenOutage:
    service_id: str
    start: datetime
    impact: str
    priority: str
    respond_by: datetime
    resolve_by: datetime
    message: str
    created_at: datetime
    continues: bool = False  # first evaluation after a restart: the incident may go on
    seen_from: tuple[str, ...] = ()  # the locations that saw it down
    kind: Literal["open_outage"] = "open_outage"

    def apply(self, conn: Connection) -> None:
        open_outage(conn, self.service_id, self.start, self.impact, self.priority,
                    (self.respond_by, self.resolve_by), self.message, self.created_at,
                    self.continues, self.seen_from)


@dataclass(frozen=True)
class CloseOutage:
    service_id: str
    end: datetime
    unobserved: bool = False
    kind: Literal["close_outage"] = "close_outage"

    def apply(self, conn: Connection) -> None:
        close_outage(conn, self.service_id, self.end, self.unobserved)


@dataclass(frozen=True)
class Transitions:
    rows: tuple[TransitionRow, ...]
    kind: Literal["transitions"] = "transitions"

    def apply(self, conn: Connection) -> None:
        record_transitions(conn, self.rows)


@dataclass(frozen=True)
class Beat:
    """The session observed until `at` (written every second with the flush)."""

    session_id: int
    at: datetime
    kind: Literal["beat"] = "beat"

    def apply(self, conn: Connection) -> None:
        beat(conn, self.session_id, self.at)


@dataclass(frozen=True)
class StartSession:
    """What a daemon writes at its start, for one that started while the ledger refused
    writes: spooled ahead of everything it observed, so the replay first closes what the
    previous run left open (at its last observation), then opens this run's session from
    the moment it began — its watching while the ledger was away counts as observed."""

    instance: str
    started: datetime
    kind: Literal["start_session"] = "start_session"

    def apply(self, conn: Connection) -> None:
        close_unobserved(conn)
        start_session(conn, self.instance, self.started)


@dataclass(frozen=True)
class BeatOf:
    """A heartbeat of the session opened by `StartSession` (its id is not known yet)."""

    instance: str
    started: datetime
    at: datetime
    kind: Literal["beat_of"] = "beat_of"

    def apply(self, conn: Connection) -> None:
        session = session_of(conn, self.instance, self.started)
        if session is not None:
            beat(conn, session, self.at)


@dataclass(frozen=True)
class Utilisation:
    rows: tuple[UtilisationHour, ...]
    kind: Literal["utilisation"] = "utilisation"

    def apply(self, conn: Connection) -> None:
        merge_utilisation(conn, self.rows)


@dataclass(frozen=True)
class ReleaseUnits:
    """A cluster member hands units over: after everything it wrote for them."""

    member: str
    epoch: int
    units: tuple[str, ...]
    kind: Literal["release_units"] = "release_units"

    def apply(self, conn: Connection) -> None:
        release(conn, self.member, self.epoch, self.units)


Write = Annotated[OpenOutage | CloseOutage | Transitions | Beat | Utilisation | ReleaseUnits
                  | StartSession | BeatOf, Field(discriminator="kind")]
_ADAPTER: TypeAdapter[Write] = TypeAdapter(Write)


def coalesce(writes: Sequence[Write]) -> list[Write]:
    """The same changes in fewer statements, for one transaction: all transitions in one
    insert (in their order), all utilisation hours in one merge, and per session only the
    latest heartbeat (a beat only moves the session's last observation forward), after
    everything else (so after the `StartSession` it beats for). Outages keep their order."""
    rows: list[TransitionRow] = []
    hours: list[UtilisationHour] = []
    beats: dict[object, Beat | BeatOf] = {}
    out: list[Write] = []
    at_transitions: int | None = None
    at_hours: int | None = None
    for w in writes:
        if isinstance(w, Transitions):
            if at_transitions is None:
                at_transitions = len(out)
                out.append(w)
            rows.extend(w.rows)
        elif isinstance(w, Utilisation):
            if at_hours is None:
                at_hours = len(out)
                out.append(w)
            hours.extend(w.rows)
        elif isinstance(w, Beat | BeatOf):
            key = w.session_id if isinstance(w, Beat) else (w.instance, w.started)
            if key not in beats or beats[key].at < w.at:
                beats[key] = w
        else:
            out.append(w)
    if at_transitions is not None:
        out[at_transitions] = Transitions(tuple(rows))
    if at_hours is not None:
        out[at_hours] = Utilisation(tuple(hours))
    return out + list(beats.values())


def dump(write: Write) -> bytes:
    return _ADAPTER.dump_json(write)


def load(data: bytes | str) -> Write:
    return _ADAPTER.validate_json(data)

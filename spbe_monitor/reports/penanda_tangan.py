"""Who signs a form, and how a signature block reads: the most senior holder of a role
(lowest eselon first, people.yaml order on a tie) among the people of the services the form
covers; jabatan above the signing space, then name, pangkat/golongan and NIP."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from spbe_monitor.config.models import Person
from spbe_monitor.regulation.roles import Role
from spbe_monitor.reports.words import nip


def senior(people: Iterable[Person], role: Role, services: Iterable[str] | None = None
           ) -> Person | None:
    """The most senior person with `role` answering for one of `services` (any if None)."""
    wanted = None if services is None else set(services)
    found = [p for p in people if role in p.roles
             and (wanted is None or wanted & set(p.services))]
    return min(found, key=lambda p: p.eselon.rank if p.eselon else 99, default=None)


def block(person: Person | None, capacity: str, role_name: str) -> dict[str, Any]:
    """One signature: `capacity` (Disiapkan oleh, Mengetahui, Menetapkan) and the
    regulation's role above the person's jabatan, the space, then name, pangkat and NIP."""
    return {"sebagai": capacity, "peran": role_name,
            "jabatan": person.position if person else None,
            "nama": person.name if person else None,
            "pangkat": person.rank if person else None,
            "nip": person.nip if person else None,
            "nip_teks": nip(person.nip) if person else None}

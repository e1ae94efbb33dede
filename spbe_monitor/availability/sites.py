"""Which site serves a service, and so which probes judge it (pure).

A service is served from its primary site unless a switch says otherwise: a DRP run whose
recovery passed its health gate at the secondary site (from that moment, the RTO point),
normalisation's gate back at the primary, or a Koordinator Pemulihan's own switch. While
served from the secondary, time served from there is available time (REGULATION.md,
"While a disaster recovery is active"): the service's rule reads the probes of the site
that serves it — never the dead primary's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from spbe_monitor.config.models import Service
from spbe_monitor.probers.base import ProbeSettings

PRIMARY = "primary"
SITE_NAMES = {"primary": "primer", "secondary": "sekunder (DRC)"}  # as officials read them


@dataclass(frozen=True)
class Switch:
    """From `at` on, `service_id` is served from `site`."""

    service_id: str
    site: str
    at: datetime


def site_components(svc: Service, probes: Mapping[str, ProbeSettings], site: str
                    ) -> list[str]:
    """The probes that judge `svc` while `site` serves it. At the primary: its components, as
    configured. Elsewhere: the components and standby probes labelled with that site or
    with no site at all (shared: a DNS, the path to both), the primary's left out."""
    if site == PRIMARY:
        return list(svc.components)
    return [pid for pid in (*svc.components, *svc.standby)
            if pid in probes and probes[pid].labels.get("site", site) == site]


def label(site: str) -> str:
    return SITE_NAMES.get(site, site)


def active(switches: Iterable[Switch]) -> dict[str, Switch]:
    """Each service's switch in effect now: the newest by `at` (ties: the later row)."""
    out: dict[str, Switch] = {}
    for s in switches:
        if s.service_id not in out or s.at >= out[s.service_id].at:
            out[s.service_id] = s
    return out


def served_away(switches: Sequence[Switch], service_id: str, start: datetime,
                end: datetime) -> list[Away]:
    """The spans of [start, end) the service was served from a site other than its primary:
    what Formulir F states ("dilayani dari situs sekunder dari … sampai …")."""
    mine = sorted((s for s in switches if s.service_id == service_id), key=lambda s: s.at)
    out: list[Away] = []
    for i, s in enumerate(mine):
        if s.site == PRIMARY:
            continue
        until = mine[i + 1].at if i + 1 < len(mine) else None
        a, b = max(s.at, start), end if until is None else min(until, end)
        if a >= b:
            continue
        if out and out[-1].until == a and out[-1].site == s.site:
            a = out.pop().start
        out.append(Away(a, b, s.site, until is None or until > end))
    return out


@dataclass(frozen=True)
class Away:
    """A span served from another site; `goes_on`: still served from there at its end."""

    start: datetime
    until: datetime
    site: str
    goes_on: bool

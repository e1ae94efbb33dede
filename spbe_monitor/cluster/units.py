"""What a cluster member evaluates: units and their assignment (pure, no I/O).

A unit is a set of services that share probes, with those probes: a component is probed
and judged by one member only, so services sharing one must travel together. A probe no
service uses (a host's metrics) is a unit of its own. Units go to live members by
rendezvous (highest random weight) hashing: a member joining or leaving moves only the
units it gains or held, every other unit stays where it is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    key: str  # the smallest service id in it, or "probe:<id>" for a probe no service uses
    services: frozenset[str]
    probes: frozenset[str]


def units(services: Mapping[str, Sequence[str]], probes: Iterable[str]) -> dict[str, Unit]:
    """Group services (id → the probes they use: components and standbys) that share a
    probe, transitively; every probe ends up in exactly one unit."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for sid, used in services.items():
        find("s:" + sid)
        for pid in used:
            a, b = find("s:" + sid), find("p:" + pid)
            if a != b:
                parent[max(a, b)] = min(a, b)
    for pid in probes:
        find("p:" + pid)
    groups: dict[str, tuple[set[str], set[str]]] = {}
    for node in list(parent):
        svc, prb = groups.setdefault(find(node), (set(), set()))
        (svc if node.startswith("s:") else prb).add(node[2:])
    out = {}
    for svc, prb in groups.values():
        key = min(svc) if svc else "probe:" + min(prb)
        out[key] = Unit(key, frozenset(svc), frozenset(prb))
    return out


def weight(member: str, key: str) -> int:
    digest = hashlib.blake2b(f"{member}\0{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def owner(key: str, members: Sequence[str]) -> str | None:
    """The live member a unit belongs to (None with no member alive)."""
    return max(members, key=lambda m: (weight(m, key), m), default=None)


def assignment(keys: Iterable[str], members: Sequence[str]) -> dict[str, str]:
    """Unit key → member, for every unit (empty when no member is alive)."""
    if not members:
        return {}
    return {k: o for k in keys if (o := owner(k, members)) is not None}

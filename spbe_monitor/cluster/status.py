"""What `spbe cluster status` shows: members, their leases, the leader and who evaluates
which service — one record the table and `--json` both print."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from spbe_monitor.cluster.leader import leader_name
from spbe_monitor.cluster.member import config_digest, config_units
from spbe_monitor.config.loader import Config
from spbe_monitor.ledger.membership import MemberRow, claims, members


@dataclass(frozen=True)
class ClusterStatus:
    now: datetime
    leader: str | None
    members: list[MemberRow]
    owners: dict[str, str | None]  # service id → member evaluating it (None: nobody now)
    digest: str  # this config's inventory, to compare with each member's

    def as_json(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "leader": self.leader,
            "members": [{
                "member": m.member, "state": m.state if m.alive(self.now) or m.state != "live"
                else "expired", "epoch": m.epoch, "url": m.url, "host": m.host, "pid": m.pid,
                "joined_at": m.joined_at.isoformat(), "renewed_at": m.renewed_at.isoformat(),
                "lease_until": m.lease_until.isoformat(),
                "lease_left_seconds": round(max(0.0, (m.lease_until - self.now)
                                                .total_seconds()), 1)
                if m.state == "live" else None,
                "units": m.units if m.alive(self.now) else 0,
                "same_config": m.config_digest == self.digest,
            } for m in self.members],
            "services": self.owners,
        }


def cluster_status(config: Config, engine: Engine) -> ClusterStatus:
    now, rows = members(engine)
    held = claims(engine)
    with engine.connect() as conn:
        leader = leader_name(conn)
    live = {(m.member, m.epoch) for m in rows if m.alive(now)}
    owners: dict[str, str | None] = {}
    for key, unit in config_units(config).items():
        claim = held.get(key)
        for sid in unit.services:
            owners[sid] = claim[0] if claim is not None and claim in live else None
    return ClusterStatus(now, leader, rows, dict(sorted(owners.items())),
                         config_digest(config))

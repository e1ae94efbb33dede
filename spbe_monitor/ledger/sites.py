"""The site switches kept in the ledger: sealed evidence, each audited with who switched
(a DRP run's health gate, or a Koordinator Pemulihan) and why. Availability follows them
(availability/sites.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, insert, select

from spbe_monitor.availability.sites import Switch
from spbe_monitor.ledger.audit import audit_in
from spbe_monitor.ledger.evidence import seal
from spbe_monitor.ledger.tables import site_switches


@dataclass(frozen=True)
class SiteSwitch(Switch):
    id: int
    recorded_at: datetime
    run_id: int | None
    step_id: str | None
    actor: str
    reason: str


def record(conn: Connection, service_id: str, site: str, at: datetime, now: datetime,
           actor: str, reason: str, run_id: int | None = None,
           step_id: str | None = None) -> None:
    """One switch, sealed and audited, inside the caller's transaction."""
    sid = conn.execute(insert(site_switches).values(
        service_id=service_id, site=site, at=at, recorded_at=now, run_id=run_id,
        step_id=step_id, actor=actor, reason=reason)).inserted_primary_key
    assert sid is not None
    seal(conn, site_switches, site_switches.c.id == sid[0], now)
    audit_in(conn, now, actor, "site.switch", f"service:{service_id}",
             after={"site": site, "at": at.isoformat(), "reason": reason,
                    **({"run": run_id, "step": step_id} if run_id is not None else {})})


def switches(engine: Engine, after_id: int = 0) -> list[SiteSwitch]:
    """Every switch recorded after `after_id`, oldest first."""
    with engine.connect() as conn:
        return [SiteSwitch(r.service_id, r.site, r.at, r.id, r.recorded_at, r.run_id,
                           r.step_id, r.actor, r.reason)
                for r in conn.execute(select(site_switches).where(
                    site_switches.c.id > after_id).order_by(site_switches.c.id))]


def current_site(conn: Connection, service_id: str) -> str | None:
    """The site the newest switch of the service names (None: never switched)."""
    return conn.execute(select(site_switches.c.site).where(
        site_switches.c.service_id == service_id).order_by(
            site_switches.c.at.desc(), site_switches.c.id.desc()).limit(1)).scalar()

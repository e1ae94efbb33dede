"""One runner per run: a runner holds a lease on its run in the ledger and renews it every
few seconds. A second runner is refused while the lease is live (naming the holder); a
lease not renewed for LEASE_SECONDS belongs to a dead runner and is taken over. Kept apart
from the sealed run rows: a renewal is not evidence."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from spbe_monitor.ledger.tables import drp_runner_leases

LEASE = timedelta(seconds=10)
RENEW_EVERY = timedelta(seconds=2)


def this_process() -> str:
    return f"{socket.gethostname()} pid {os.getpid()}"


@dataclass(frozen=True)
class Lease:
    holder: str
    acquired_at: datetime
    renewed_at: datetime

    def alive(self, now: datetime) -> bool:
        """Renewed within LEASE, and not a runner of this host whose process is gone (a
        runner killed here is taken over at once, not after the lease lapses)."""
        return now - self.renewed_at < LEASE and not self._gone_here()

    def _gone_here(self) -> bool:
        host, _, pid = self.holder.rpartition(" pid ")
        if host != socket.gethostname() or not pid.isdigit():
            return False
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # alive, another user's
            return False
        return False


class RunnerLeases:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def current(self, run_id: int) -> Lease | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(drp_runner_leases).where(
                drp_runner_leases.c.run_id == run_id)).first()
        return None if row is None else Lease(row.holder, row.acquired_at, row.renewed_at)

    def take(self, run_id: int, holder: str, now: datetime) -> Lease | None:
        """Take the run's lease; None when taken, else the live lease of another runner.
        Conditional writes, so two runners starting at once cannot both win."""
        lease = self.current(run_id)
        if lease is None:
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(drp_runner_leases).values(
                        run_id=run_id, holder=holder, acquired_at=now, renewed_at=now))
                return None
            except IntegrityError:  # another runner inserted first: look again
                return self.take(run_id, holder, now)
        if lease.holder != holder and lease.alive(now):
            return lease
        with self.engine.begin() as conn:
            moved = conn.execute(update(drp_runner_leases).where(and_(
                drp_runner_leases.c.run_id == run_id,
                drp_runner_leases.c.renewed_at == lease.renewed_at)).values(
                    holder=holder, acquired_at=now, renewed_at=now))
        return None if moved.rowcount == 1 else self.current(run_id)

    def renew(self, run_id: int, holder: str, now: datetime) -> bool:
        """False when the lease is no longer ours (we stalled and another runner took it)."""
        with self.engine.begin() as conn:
            return conn.execute(update(drp_runner_leases).where(and_(
                drp_runner_leases.c.run_id == run_id,
                drp_runner_leases.c.holder == holder)).values(renewed_at=now)).rowcount == 1

    def release(self, run_id: int, holder: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(drp_runner_leases).where(and_(
                drp_runner_leases.c.run_id == run_id,
                drp_runner_leases.c.holder == holder)))

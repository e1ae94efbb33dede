"""People's second factor: the TOTP secret (encrypted by the caller with `secretbox`, sealed
like the other credentials) and the last time step accepted, kept apart because a use is
not evidence. A code is accepted once: the step it matched must be later than the last
one used."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete, insert, select, update

from spbe_monitor.ledger.audit import audit_in
from spbe_monitor.ledger.evidence import seal, seal_deletion
from spbe_monitor.ledger.repo import Repo
from spbe_monitor.ledger.tables import totp_secrets, totp_uses
from spbe_monitor.secretbox import is_sealed


class TotpRepo(Repo):
    def enrol_totp(self, nip: str, secret: str, now: datetime) -> None:
        """A new secret for the person, unconfirmed until a code from it is shown; it
        replaces the earlier one (the caller has checked the person may do so)."""
        with self.engine.begin() as conn:
            conn.execute(delete(totp_secrets).where(totp_secrets.c.nip == nip))
            conn.execute(delete(totp_uses).where(totp_uses.c.nip == nip))
            conn.execute(insert(totp_secrets).values(nip=nip, secret=secret, enrolled_at=now))
            audit_in(conn, now, nip, "totp.enrol", f"person:{nip}")
            seal(conn, totp_secrets, totp_secrets.c.nip == nip, now)

    def confirm_totp(self, nip: str, now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(totp_secrets).where(totp_secrets.c.nip == nip).values(
                confirmed_at=now))
            audit_in(conn, now, nip, "totp.confirm", f"person:{nip}")
            seal(conn, totp_secrets, totp_secrets.c.nip == nip, now)

    def reset_totp(self, nip: str, actor: str, now: datetime) -> bool:
        with self.engine.begin() as conn:
            seal_deletion(conn, totp_secrets, totp_secrets.c.nip == nip, now)
            gone = conn.execute(delete(totp_secrets).where(totp_secrets.c.nip == nip))
            conn.execute(delete(totp_uses).where(totp_uses.c.nip == nip))
            audit_in(conn, now, actor, "totp.reset", f"person:{nip}",
                     after={"removed": gone.rowcount})
            return bool(gone.rowcount)

    def totp_secret(self, nip: str) -> tuple[str, bool] | None:
        """(secret as stored — encrypted —, confirmed) of the person, or None when not
        enrolled."""
        with self.engine.connect() as conn:
            row = conn.execute(select(totp_secrets).where(totp_secrets.c.nip == nip)).first()
        return None if row is None else (str(row.secret), row.confirmed_at is not None)

    def encrypt_plain_totp(self, seal_secret: Callable[[str], str], now: datetime) -> int:
        """Secrets stored before they were encrypted, encrypted now (sealed as a change by
        the ledger itself); how many."""
        with self.engine.begin() as conn:
            plain = [(r.nip, r.secret) for r in conn.execute(select(totp_secrets)) if
                     not is_sealed(r.secret)]
            for nip, secret in plain:
                conn.execute(update(totp_secrets).where(totp_secrets.c.nip == nip).values(
                    secret=seal_secret(secret)))
                seal(conn, totp_secrets, totp_secrets.c.nip == nip, now)
        return len(plain)

    def use_totp_step(self, nip: str, step: int) -> bool:
        """Record `step` as used unless it (or a later one) was used already: one
        conditional write, so two acts racing with one code cannot both pass."""
        with self.engine.begin() as conn:
            moved = conn.execute(update(totp_uses).where(
                totp_uses.c.nip == nip, totp_uses.c.last_step < step).values(last_step=step))
            if moved.rowcount:
                return True
            if conn.execute(select(totp_uses.c.nip).where(totp_uses.c.nip == nip)).first():
                return False
            conn.execute(insert(totp_uses).values(nip=nip, last_step=step))
            return True

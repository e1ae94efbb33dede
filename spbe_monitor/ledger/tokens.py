"""API tokens: only their SHA-256 is kept; issue and revoke are audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update

from spbe_monitor.ledger.audit import audit_in
from spbe_monitor.ledger.evidence import seal
from spbe_monitor.ledger.repo import Repo
from spbe_monitor.ledger.tables import api_tokens


class TokenRepo(Repo):
    def add_token(self, nip: str, token_sha256: str, actor: str, now: datetime) -> int:
        with self.engine.begin() as conn:
            new_id = conn.execute(insert(api_tokens).values(
                nip=nip, token_sha256=token_sha256, created_at=now)).inserted_primary_key
            assert new_id is not None
            tid = int(new_id[0])
            audit_in(conn, now, actor, "token.issue", f"token:{tid}", after={"nip": nip})
            seal(conn, api_tokens, api_tokens.c.id == tid, now)
        return tid

    def token_owner(self, token_sha256: str) -> str | None:
        """The NIP a live token belongs to, or None (unknown or revoked)."""
        with self.engine.connect() as conn:
            nip = conn.execute(select(api_tokens.c.nip).where(
                api_tokens.c.token_sha256 == token_sha256,
                api_tokens.c.revoked_at.is_(None))).scalar_one_or_none()
        return None if nip is None else str(nip)

    def revoke_tokens(self, nip: str, actor: str, now: datetime) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(update(api_tokens).where(
                api_tokens.c.nip == nip, api_tokens.c.revoked_at.is_(None)).values(
                    revoked_at=now))
            seal(conn, api_tokens, (api_tokens.c.nip == nip) & (api_tokens.c.revoked_at == now),
                 now)
            audit_in(conn, now, actor, "token.revoke", f"person:{nip}",
                        after={"revoked": result.rowcount})
            return int(result.rowcount)


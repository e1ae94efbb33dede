"""People's credentials. API tokens: only their SHA-256 is kept; they expire; issue and
revoke are audited, and each one's last use is kept (apart from the sealed row, since a use
is not evidence). Passwords: only their argon2id hash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from spbe_monitor.ledger.audit import audit_in
from spbe_monitor.ledger.evidence import seal
from spbe_monitor.ledger.repo import Repo
from spbe_monitor.ledger.tables import api_tokens, passwords, token_uses


@dataclass(frozen=True)
class TokenInfo:
    """What `spbe token list` shows: never the token, a prefix of its hash."""

    id: int
    nip: str
    sha256_prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenRepo(Repo):
    def add_token(self, nip: str, token_sha256: str, actor: str, now: datetime,
                  expires_at: datetime | None = None) -> int:
        with self.engine.begin() as conn:
            new_id = conn.execute(insert(api_tokens).values(
                nip=nip, token_sha256=token_sha256, created_at=now, expires_at=expires_at)
            ).inserted_primary_key
            assert new_id is not None
            tid = int(new_id[0])
            audit_in(conn, now, actor, "token.issue", f"token:{tid}",
                     after={"nip": nip, "expires_at": expires_at})
            seal(conn, api_tokens, api_tokens.c.id == tid, now)
        return tid

    def token_owner(self, token_sha256: str, now: datetime | None = None) -> str | None:
        """The NIP a live token belongs to (not revoked, not expired at `now`), or None.
        With `now`, the use is recorded."""
        q = select(api_tokens.c.id, api_tokens.c.nip).where(
            api_tokens.c.token_sha256 == token_sha256, api_tokens.c.revoked_at.is_(None))
        if now is not None:
            q = q.where(or_(api_tokens.c.expires_at.is_(None), api_tokens.c.expires_at > now))
        with self.engine.begin() as conn:
            row = conn.execute(q).first()
            if row is None:
                return None
            if now is not None:  # an upsert: concurrent first uses must not collide
                upsert = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)
                conn.execute(upsert(token_uses).values(token_id=row.id, last_used_at=now)
                             .on_conflict_do_update(index_elements=[token_uses.c.token_id],
                                                    set_={"last_used_at": now}))
        return str(row.nip)

    def tokens(self) -> list[TokenInfo]:
        q = select(api_tokens, token_uses.c.last_used_at).outerjoin(token_uses).order_by(
            api_tokens.c.id)
        with self.engine.connect() as conn:
            return [TokenInfo(r.id, r.nip, r.token_sha256[:12], r.created_at, r.expires_at,
                              r.revoked_at, r.last_used_at) for r in conn.execute(q)]

    def set_password(self, nip: str, argon2_hash: str, now: datetime) -> None:
        """The person's own password (its argon2id hash), replacing any earlier one."""
        with self.engine.begin() as conn:
            done = conn.execute(update(passwords).where(passwords.c.nip == nip).values(
                argon2_hash=argon2_hash, set_at=now))
            if done.rowcount == 0:
                conn.execute(insert(passwords).values(nip=nip, argon2_hash=argon2_hash,
                                                      set_at=now))
            audit_in(conn, now, nip, "password.set", f"person:{nip}")
            seal(conn, passwords, passwords.c.nip == nip, now)

    def password_hash(self, nip: str) -> str | None:
        with self.engine.connect() as conn:
            value = conn.execute(select(passwords.c.argon2_hash).where(
                passwords.c.nip == nip)).scalar_one_or_none()
        return None if value is None else str(value)

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

"""People's credentials. API tokens: only their SHA-256 is kept; they expire; issue and
revoke are audited, and each one's last use is kept (apart from the sealed row, since a use
is not evidence). Passwords: only their argon2id hash. Revoking a person's tokens or
setting their password ends their Konsol sessions too: a stolen credential's session
must not outlive it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from spbe_monitor.ledger.audit import audit_in
from spbe_monitor.ledger.evidence import seal
from spbe_monitor.ledger.repo import Repo
from spbe_monitor.ledger.tables import api_tokens, konsol_sessions, passwords, token_uses


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


@dataclass(frozen=True)
class SessionInfo:
    """What `spbe session list` shows: never the cookie, a prefix of its hash."""

    sha256_prefix: str
    nip: str
    created_at: datetime
    last_seen_at: datetime


def _end_sessions(conn: Connection, nip: str, now: datetime) -> int:
    return int(conn.execute(update(konsol_sessions).where(
        konsol_sessions.c.nip == nip, konsol_sessions.c.ended_at.is_(None)).values(
        ended_at=now)).rowcount)


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

    def token_owner(self, token_sha256: str, now: datetime | None = None,
                    record_use: bool = True) -> str | None:
        """The NIP a live token belongs to (not revoked, not expired at `now`), or None.
        With `now`, the use is recorded (an act's; a read's is not, or every poll would
        write the ledger)."""
        q = select(api_tokens.c.id, api_tokens.c.nip).where(
            api_tokens.c.token_sha256 == token_sha256, api_tokens.c.revoked_at.is_(None))
        if now is not None:
            q = q.where(or_(api_tokens.c.expires_at.is_(None), api_tokens.c.expires_at > now))
        with self.engine.begin() as conn:
            row = conn.execute(q).first()
            if row is None:
                return None
            if now is not None and record_use:  # an upsert: concurrent first uses collide
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
            ended = _end_sessions(conn, nip, now)
            audit_in(conn, now, nip, "password.set", f"person:{nip}",
                     after={"sessions_ended": ended})
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
            ended = _end_sessions(conn, nip, now)
            audit_in(conn, now, actor, "token.revoke", f"person:{nip}",
                     after={"revoked": result.rowcount, "sessions_ended": ended})
            return int(result.rowcount)

    def konsol_sessions(self, live_since: datetime) -> list[SessionInfo]:
        """Konsol sessions not ended and used since `live_since` (the idle limit ago)."""
        with self.engine.connect() as conn:
            return [SessionInfo(r.id_sha256[:12], r.nip, r.created_at, r.last_seen_at)
                    for r in conn.execute(select(konsol_sessions).where(
                        konsol_sessions.c.ended_at.is_(None),
                        konsol_sessions.c.last_seen_at >= live_since).order_by(
                        konsol_sessions.c.created_at))]

    def end_konsol_sessions(self, nip: str, actor: str, now: datetime) -> int:
        """End every Konsol session of the person (an administrator's act, audited)."""
        with self.engine.begin() as conn:
            ended = _end_sessions(conn, nip, now)
            audit_in(conn, now, actor, "session.revoke", f"person:{nip}",
                     after={"sessions_ended": ended})
            return ended

"""Konsol sessions, kept server-side in the ledger: the browser holds a random id in an
HttpOnly cookie, the ledger only its HMAC under the key folder's secrets key (a session row
a database administrator inserts matches no cookie they can make), the person, the form
(CSRF) token and when it was last used. A session ends at logout, after 30 idle minutes,
or 12 hours after login; logging in always makes a new id (no session fixation)."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, insert, select, update

from spbe_monitor.ledger.tables import konsol_sessions
from spbe_monitor.secretbox import SecretBox

IDLE = timedelta(minutes=30)
LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class Session:
    nip: str
    csrf: str

    def form_token_matches(self, presented: str | None) -> bool:
        return presented is not None and hmac.compare_digest(self.csrf, presented)


class Sessions:
    def __init__(self, engine: Engine, box: SecretBox) -> None:
        self.engine = engine
        self.box = box

    def _digest(self, session_id: str) -> str:
        return self.box.digest("konsol-session", session_id)

    def start(self, nip: str, now: datetime) -> tuple[str, Session]:
        """A new session for `nip`: (the cookie value, the session)."""
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(insert(konsol_sessions).values(
                id_sha256=self._digest(session_id), nip=nip, csrf=csrf, created_at=now,
                last_seen_at=now))
        return session_id, Session(nip, csrf)

    def current(self, session_id: str | None, now: datetime, active: bool = True
                ) -> Session | None:
        """The live session of this cookie, its idle clock restarted when a person acted
        (`active`; a page polling on its own is not one); None if unknown, ended, idle too
        long or too old."""
        if not session_id or len(session_id) > 128:
            return None
        key = self._digest(session_id)
        with self.engine.begin() as conn:
            row = conn.execute(select(konsol_sessions).where(
                konsol_sessions.c.id_sha256 == key)).first()
            if row is None or row.ended_at is not None:
                return None
            if now - row.last_seen_at > IDLE or now - row.created_at > LIFETIME:
                conn.execute(update(konsol_sessions).where(
                    konsol_sessions.c.id_sha256 == key).values(ended_at=now))
                return None
            if active:
                conn.execute(update(konsol_sessions).where(
                    konsol_sessions.c.id_sha256 == key).values(last_seen_at=now))
        return Session(row.nip, row.csrf)

    def end(self, session_id: str | None, now: datetime) -> None:
        if session_id:
            with self.engine.begin() as conn:
                conn.execute(update(konsol_sessions).where(and_(
                    konsol_sessions.c.id_sha256 == self._digest(session_id),
                    konsol_sessions.c.ended_at.is_(None))).values(ended_at=now))

"""The audit log: who did what, before and after, refusals too — a hash chain."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select

from spbe_monitor.ledger.auditchain import GENESIS, entry_hash
from spbe_monitor.ledger.records import AuditEntry
from spbe_monitor.ledger.repo import Repo, to_json
from spbe_monitor.ledger.tables import audit_log

AUDIT_LOCK = 4949  # pg_advisory_xact_lock key serialising audit appends
SEAL = "seal"
SEALER = "ledger"  # the actor of seal entries (ledger/evidence.py): the ledger, not a person


def audit_in(
    conn: Connection,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    outcome: str = "done",
) -> None:
    """Append one entry inside the caller's transaction, extending the chain."""
    if conn.dialect.name == "postgresql":  # one writer at a time extends the chain
        conn.execute(select(func.pg_advisory_xact_lock(AUDIT_LOCK)))
    prev = conn.execute(select(audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)
                        ).scalar() or GENESIS
    b, a = to_json(before), to_json(after)
    conn.execute(insert(audit_log).values(
        at=at, actor=actor, action=action, subject=subject, outcome=outcome,
        before=b, after=a, prev_hash=prev,
        hash=entry_hash(prev, at, actor, action, subject, outcome, b, a),
    ))


class AuditRepo(Repo):
    audit_in = staticmethod(audit_in)

    def record_act(self, at: datetime, actor: str, action: str, subject: str) -> None:
        """An act with no row of its own to seal (a login): kept in the audit chain."""
        with self.engine.begin() as conn:
            audit_in(conn, at, actor, action, subject)

    def record_refusal(
        self, at: datetime, actor: str, action: str, subject: str, reason: str
    ) -> None:
        """A refused act is kept too: who tried what, and why it was refused."""
        with self.engine.begin() as conn:
            audit_in(conn, at, actor, action, subject, after={"reason": reason},
                     outcome="refused")

    def refusals_since(self, actor: str, action: str, since: datetime,
                       subject: str | None = None) -> int:
        """How often `actor` was refused `action` (on `subject`, if given) since then
        (e.g. failed logins from one client)."""
        conds = [audit_log.c.actor == actor, audit_log.c.action == action,
                 audit_log.c.outcome == "refused", audit_log.c.at >= since]
        if subject is not None:
            conds.append(audit_log.c.subject == subject)
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).where(*conds)).scalar_one())

    def refusal_times(self, actor: str, reason: str, since: datetime) -> list[datetime]:
        """When `actor` was refused for exactly `reason` since then (wrong TOTP codes, for
        the throttle), whatever act they tried."""
        with self.engine.connect() as conn:
            return [at for at, after in conn.execute(select(
                audit_log.c.at, audit_log.c.after).where(
                audit_log.c.actor == actor, audit_log.c.outcome == "refused",
                audit_log.c.at >= since, audit_log.c.after.contains(reason)))
                if after and json.loads(after).get("reason") == reason]

    def last_entry(self) -> tuple[int, str] | None:
        """(id, hash) of the newest entry of all."""
        with self.engine.connect() as conn:
            row = conn.execute(select(audit_log.c.id, audit_log.c.hash).order_by(
                audit_log.c.id.desc()).limit(1)).first()
        return None if row is None else (int(row.id), str(row.hash))

    def chain_head(self) -> tuple[int, str] | None:
        """(entry number, hash) of the chain's last entry, what a report is built at. The
        seals of report filings (and of the data kept with them) and retention's entries
        are left out: none is evidence a report is built from, so rebuilding from an
        unchanged ledger gives the same bytes."""
        with self.engine.connect() as conn:
            row = conn.execute(select(audit_log.c.id, audit_log.c.hash).where(
                audit_log.c.subject.not_like("reports:%"),
                audit_log.c.subject.not_like("report_data:%"),
                audit_log.c.subject.not_like("ledger:%")).order_by(
                audit_log.c.id.desc()).limit(1)).first()
        return None if row is None else (int(row.id), str(row.hash))

    def verify_audit(self, after: tuple[int, str] | None = None
                     ) -> tuple[int, str | None]:
        """(entries checked, the first problem found or None). `after`: an (entry, hash)
        verified before — only the entries since are checked, once that entry is seen to
        still have that hash (so the tail of a long chain costs what the tail is)."""
        prev = GENESIS
        count = 0
        entries = select(audit_log).order_by(audit_log.c.id)
        with self.engine.connect() as conn:
            if after is not None:
                kept = conn.execute(select(audit_log.c.hash).where(
                    audit_log.c.id == after[0])).scalar_one_or_none()
                if kept != after[1]:
                    return 0, (f"audit entry {after[0]} was changed or deleted after it "
                               "was verified")
                prev, entries = after[1], entries.where(audit_log.c.id > after[0])
            for r in conn.execute(entries):
                count += 1
                if r.prev_hash != prev:
                    return count, (f"audit entry {r.id}: the entry before it was changed or "
                                   "deleted (chain broken)")
                if r.hash != entry_hash(prev, r.at, r.actor, r.action, r.subject, r.outcome,
                                        r.before, r.after):
                    return count, f"audit entry {r.id} was edited after it was written"
                prev = r.hash
        return count, None

    def export_audit(self, since: datetime | None) -> list[str]:
        """JSON Lines: every entry (with its hashes) and checkpoint from `since` on, in order;
        enough for an outside archive to re-verify the chain and the signatures."""
        from spbe_monitor.ledger.tables import audit_checkpoints

        entries = select(audit_log).order_by(audit_log.c.id)
        checkpoints = select(audit_checkpoints).order_by(audit_checkpoints.c.id)
        if since is not None:
            entries = entries.where(audit_log.c.at >= since)
            checkpoints = checkpoints.where(audit_checkpoints.c.signed_at >= since)
        with self.engine.connect() as conn:
            rows = [{"type": "entry", **r._mapping} for r in conn.execute(entries)]
            rows += [{"type": "checkpoint", **r._mapping} for r in conn.execute(checkpoints)]
        return [json.dumps(r, default=lambda v: v.isoformat(), sort_keys=True) for r in rows]

    def audit_entries(self, subject: str | None = None) -> list[AuditEntry]:
        q = select(audit_log).order_by(audit_log.c.id)
        if subject is not None:
            q = q.where(audit_log.c.subject == subject)
        return self._entries(q)

    def audit_search(self, since: datetime | None = None, actor: str | None = None,
                     action: str | None = None, mentions: str | None = None,
                     limit: int = 500) -> list[AuditEntry]:
        """The newest entries first, filtered; seals (the ledger's own bookkeeping) left out.
        `mentions`: the text appears in the subject or the recorded change (a service id)."""
        q = select(audit_log).where(audit_log.c.actor != SEALER).order_by(
            audit_log.c.id.desc()).limit(limit)
        if since is not None:
            q = q.where(audit_log.c.at >= since)
        if actor:
            q = q.where(audit_log.c.actor == actor)
        if action:
            q = q.where(audit_log.c.action.startswith(action, autoescape=True))
        if mentions:
            q = q.where(or_(audit_log.c.subject.contains(mentions, autoescape=True),
                            audit_log.c.after.contains(f'"{mentions}"', autoescape=True),
                            audit_log.c.before.contains(f'"{mentions}"', autoescape=True)))
        return self._entries(q)

    def _entries(self, q: Any) -> list[AuditEntry]:
        with self.engine.connect() as conn:
            return [
                AuditEntry(
                    id=r.id, at=r.at, actor=r.actor, action=r.action, subject=r.subject,
                    outcome=r.outcome,
                    before=json.loads(r.before) if r.before else None,
                    after=json.loads(r.after) if r.after else None,
                )
                for r in conn.execute(q)
            ]

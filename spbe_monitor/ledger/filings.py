"""Report filings: one row per file written, with its SHA-256."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from spbe_monitor.ledger.audit import audit_in
from spbe_monitor.ledger.evidence import seal
from spbe_monitor.ledger.repo import Repo
from spbe_monitor.ledger.tables import report_signoffs, reports


class FilingRepo(Repo):
    def record_report(self, kind: str, subject: str, period: str, fmt: str, path: str,
                      sha256: str, now: datetime, partial: bool) -> None:
        """One row per file written, so a report's exact bytes can be proven later."""
        with self.engine.begin() as conn:
            rid = conn.execute(insert(reports).values(
                kind=kind, subject=subject, period=period, format=fmt, path=path,
                sha256=sha256, generated_at=now, partial=partial)).inserted_primary_key
            assert rid is not None
            seal(conn, reports, reports.c.id == rid[0], now)

    def reports(self, kind: str | None = None, period: str | None = None
                ) -> list[dict[str, Any]]:
        q = select(reports).order_by(reports.c.id)
        if kind is not None:
            q = q.where(reports.c.kind == kind)
        if period is not None:
            q = q.where(reports.c.period == period)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]


    def sign_report(self, kind: str, subject: str, period: str, sha256: str, nip: str,
                    now: datetime) -> None:
        """"Mengetahui": a person's sign-off of the exact bytes filed with `sha256`."""
        with self.engine.begin() as conn:
            sid = conn.execute(insert(report_signoffs).values(
                kind=kind, subject=subject, period=period, sha256=sha256, nip=nip,
                signed_at=now)).inserted_primary_key
            assert sid is not None
            seal(conn, report_signoffs, report_signoffs.c.id == sid[0], now)
            audit_in(conn, now, nip, "report.signoff", f"{kind}:{subject}/{period}",
                     after={"sha256": sha256})

    def signoffs(self, kind: str, period: str | None = None) -> list[dict[str, Any]]:
        q = select(report_signoffs).where(report_signoffs.c.kind == kind).order_by(
            report_signoffs.c.id)
        if period is not None:
            q = q.where(report_signoffs.c.period == period)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

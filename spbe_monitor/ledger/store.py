"""The ledger's facade: one `Store` over the per-concern repositories, so callers hold one
object while each concern keeps its own module. Every write is one transaction; writes that
open, close or change something are conditional updates that check the row count, so a
restart or a second writer never double-counts. Manual changes leave an audit record."""

from __future__ import annotations

from spbe_monitor.ledger.audit import AuditRepo
from spbe_monitor.ledger.calendars import CalendarRepo
from spbe_monitor.ledger.filings import FilingRepo
from spbe_monitor.ledger.maintenance import MaintenanceRepo
from spbe_monitor.ledger.outages import OutageRepo
from spbe_monitor.ledger.records import (
    Approval,
    AuditEntry,
    MaintenanceWindow,
    Outage,
    TransitionRow,
    UtilisationHour,
    as_dict,
)
from spbe_monitor.ledger.retention import RetentionRepo
from spbe_monitor.ledger.sessions import SessionRepo
from spbe_monitor.ledger.tokens import TokenRepo
from spbe_monitor.ledger.totp import TotpRepo
from spbe_monitor.ledger.utilisation import UtilisationRepo

__all__ = ["Approval", "AuditEntry", "MaintenanceWindow", "Outage", "Store", "TransitionRow",
           "UtilisationHour", "as_dict"]


class Store(AuditRepo, OutageRepo, UtilisationRepo, MaintenanceRepo, SessionRepo, TokenRepo,
            TotpRepo, FilingRepo, CalendarRepo, RetentionRepo):
    """Outages and transitions, utilisation, maintenance, sessions, credentials, filings,
    audit, retention."""

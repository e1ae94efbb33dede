"""Table definitions. Times are stored as naive UTC and come back as aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    text,
)


class UTCDateTime(TypeDecorator[datetime]):
    """Refuses naive datetimes on the way in, so no local time is ever stored by mistake."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the ledger; times must be aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

outages = Table(
    "outages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("service_id", String(64), nullable=False),
    Column("start_at", UTCDateTime, nullable=False),
    Column("end_at", UTCDateTime, nullable=True),  # NULL while open
    Column("impact", String(8), nullable=False),  # mayor | minor
    Column("priority", String(2), nullable=False),
    Column("source", String(16), nullable=False),  # probe | manual
    Column("cause", Text, nullable=True),
    Column("entered_by", String(64), nullable=True),
    Column("closed_unobserved", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("respond_by", UTCDateTime, nullable=True),  # start + the priority's targets
    Column("resolve_by", UTCDateTime, nullable=True),
    Column("seen_from", String(255), nullable=True),  # locations that saw it, comma-separated
    Index("ix_outages_service_start", "service_id", "start_at"),
    Index("ix_outages_end", "end_at"),  # a month's: open or ending after its start
)

outage_gaps = Table(
    "outage_gaps",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("outage_id", Integer, ForeignKey("outages.id"), nullable=False),
    Column("start_at", UTCDateTime, nullable=False),  # nobody observed [start_at, end_at)
    Column("end_at", UTCDateTime, nullable=False),
    Index("ix_outage_gaps_outage", "outage_id"),
)

applied_writes = Table(
    "applied_writes",
    metadata,
    # keys of spooled writes already in the ledger: a replay applies each exactly once
    Column("key", String(64), primary_key=True),
    Column("applied_at", UTCDateTime, nullable=False),
)

maintenance_windows = Table(
    "maintenance_windows",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("start_at", UTCDateTime, nullable=False),
    Column("end_at", UTCDateTime, nullable=False),
    Column("rrule", Text, nullable=True),
    Column("timezone", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("registered_at", UTCDateTime, nullable=False),
    Column("registered_by", String(64), nullable=False),
    Column("cancelled_at", UTCDateTime, nullable=True),
    Column("cancelled_by", String(64), nullable=True),
    # why the first occurrence is not scheduled maintenance (availability.formula.Late)
    Column("late_reason", String(16), nullable=True),
    # the windows a month may hold: those ending after its start, and the recurring few
    Index("ix_maintenance_windows_end", "end_at"),
    Index("ix_maintenance_windows_recurring", "id", postgresql_where=text("rrule IS NOT NULL"),
          sqlite_where=text("rrule IS NOT NULL")),
)

maintenance_services = Table(
    "maintenance_services",
    metadata,
    Column("window_id", Integer, ForeignKey("maintenance_windows.id"), primary_key=True),
    Column("service_id", String(64), primary_key=True),
)

maintenance_approvals = Table(
    "maintenance_approvals",
    metadata,
    Column("window_id", Integer, ForeignKey("maintenance_windows.id"), primary_key=True),
    Column("service_id", String(64), primary_key=True),
    Column("approved_by", String(64), nullable=False),
    Column("approved_at", UTCDateTime, nullable=False),
)

heartbeats = Table(
    "heartbeats",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("instance", String(128), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("stopped_at", UTCDateTime, nullable=True),  # the shutdown mark; NULL after a crash
    Index("ix_heartbeats_last_seen", "last_seen_at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject", String(128), nullable=False),
    Column("outcome", String(16), nullable=False),  # done | refused
    Column("before", Text, nullable=True),  # JSON
    Column("after", Text, nullable=True),  # JSON
    Column("prev_hash", String(64), nullable=True),  # the chain: see ledger/auditchain.py
    Column("hash", String(64), nullable=True),
    # a person's recent refusals (failed logins, wrong TOTP codes) decide throttling
    Index("ix_audit_log_actor_at", "actor", "at"),
)

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entry_id", Integer, nullable=False),  # the head of the chain that was signed
    Column("entry_hash", String(64), nullable=False),
    Column("signed_at", UTCDateTime, nullable=False),
    Column("signature", String(128), nullable=False),  # Ed25519, hex; the key is not here
)

transitions = Table(
    "transitions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("subject_type", String(16), nullable=False),  # component | service
    Column("subject_id", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("old", String(16), nullable=False),
    Column("new", String(16), nullable=False),
    Column("message", Text, nullable=True),
    Index("ix_transitions_subject_at", "subject_id", "at"),
    # the few times a service was unknown (taken out of its observed time): found without
    # reading the table's millions of component changes
    Index("ix_transitions_unknown_service", "subject_id", "at",
          postgresql_where=text("subject_type = 'service' AND new = 'unknown'"),
          sqlite_where=text("subject_type = 'service' AND new = 'unknown'")),
)

utilisation_hourly = Table(
    "utilisation_hourly",
    metadata,
    Column("probe_id", String(64), primary_key=True),
    Column("metric", String(128), primary_key=True),
    Column("hour", UTCDateTime, primary_key=True),
    Column("samples", Integer, nullable=False),
    Column("avg", Float, nullable=False),
    Column("max", Float, nullable=False),
    Column("max_at", UTCDateTime, nullable=False),
    Column("p95", Float, nullable=False),
    Index("ix_utilisation_probe_hour", "probe_id", "hour"),  # a month of every metric
    Index("ix_utilisation_hour", "hour"),  # retention: the rows past the horizon, not all
)

utilisation_daily = Table(  # hourly rows past the retention horizon, rolled up per UTC day
    "utilisation_daily",
    metadata,
    Column("probe_id", String(64), primary_key=True),
    Column("metric", String(128), primary_key=True),
    Column("day", UTCDateTime, primary_key=True),  # 00:00 UTC
    Column("samples", Integer, nullable=False),
    Column("avg", Float, nullable=False),  # weighted by samples
    Column("max", Float, nullable=False),
    Column("max_at", UTCDateTime, nullable=False),
    Column("p95", Float, nullable=False),  # the highest hourly p95 of the day
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("nip", String(64), nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),  # the token is never kept
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("expires_at", UTCDateTime, nullable=True),
)

konsol_sessions = Table(  # Konsol logins, server-side; only the cookie's hash is kept
    "konsol_sessions",
    metadata,
    Column("id_sha256", String(64), primary_key=True),
    Column("nip", String(64), nullable=False),
    Column("csrf", String(64), nullable=False),  # the form token of this session
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),  # logged out or replaced
)

passwords = Table(  # a person's own login: argon2id hash only
    "passwords",
    metadata,
    Column("nip", String(64), primary_key=True),
    Column("argon2_hash", String(255), nullable=False),
    Column("set_at", UTCDateTime, nullable=False),
)

totp_secrets = Table(  # a person's second factor (RFC 6238), active once confirmed
    "totp_secrets",
    metadata,
    Column("nip", String(64), primary_key=True),
    Column("secret", String(512), nullable=False),  # encrypted: secretbox
    Column("enrolled_at", UTCDateTime, nullable=False),
    Column("confirmed_at", UTCDateTime, nullable=True),
)

totp_uses = Table(  # the last time step used, so a code is accepted once (not evidence)
    "totp_uses",
    metadata,
    Column("nip", String(64), primary_key=True),
    Column("last_step", Integer, nullable=False),
)

token_uses = Table(  # apart from api_tokens: a use is not evidence, and would break its seal
    "token_uses",
    metadata,
    Column("token_id", Integer, ForeignKey("api_tokens.id"), primary_key=True),
    Column("last_used_at", UTCDateTime, nullable=False),
)

reports = Table(
    "reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),  # formulir-f, formulir-c, evaluasi
    Column("subject", String(64), nullable=False),  # service id, or "all"
    Column("period", String(16), nullable=False),  # 2026-11, 2026-2
    Column("format", String(8), nullable=False),  # html | pdf | json
    Column("path", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("generated_at", UTCDateTime, nullable=False),
    Column("partial", Boolean, nullable=False, default=False),
    Index("ix_reports_subject_period", "kind", "subject", "period"),
)

drp_document_approvals = Table(
    "drp_document_approvals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("playbook_id", String(64), nullable=False),
    Column("sha256", String(64), nullable=False),  # the exact bytes approved
    Column("nip", String(64), nullable=False),
    Column("approved_at", UTCDateTime, nullable=False),
    Column("text", Text, nullable=True),  # the approved contents, for the next diff
)

report_signoffs = Table(  # "Mengetahui": a Penyedia Layanan's sign-off of one file's bytes
    "report_signoffs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("subject", String(64), nullable=False),
    Column("period", String(16), nullable=False),
    Column("sha256", String(64), nullable=False),  # of the PDF signed
    Column("nip", String(64), nullable=False),
    Column("signed_at", UTCDateTime, nullable=False),
    Index("ix_report_signoffs_subject_period", "kind", "subject", "period"),
)

calendar_snapshots = Table(  # the calendar a filed month was computed with; newest row wins
    "calendar_snapshots",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("service_id", String(64), nullable=False),
    Column("period", String(16), nullable=False),  # 2026-03
    Column("calendar", Text, nullable=False),  # JSON: Calendar.as_json()
    Column("days_off", Text, nullable=False),  # JSON: the days off with names and sources
    Column("frozen_at", UTCDateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("reason", Text, nullable=True),  # why it was changed after filing
    Index("ix_calendar_snapshots_service_period", "service_id", "period"),
)

drp_runs = Table(
    "drp_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("playbook_id", String(64), nullable=False),
    Column("playbook_version", String(32), nullable=False),
    Column("playbook_sha256", String(64), nullable=False),
    Column("playbook_path", Text, nullable=False),
    Column("playbook_text", Text, nullable=True),  # the exact contents run (NULL before 0013)
    Column("document_approved", Boolean, nullable=False),
    Column("mode", String(16), nullable=False),  # drill | disaster
    Column("started_by", String(64), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("disaster_at", UTCDateTime, nullable=False),
    Column("declared_at", UTCDateTime, nullable=True),
    Column("state", String(16), nullable=False),  # running | done | failed | aborted
    Column("finished_at", UTCDateTime, nullable=True),
    Column("reason", Text, nullable=True),
)

drp_steps = Table(
    "drp_steps",
    metadata,
    Column("run_id", Integer, ForeignKey("drp_runs.id"), primary_key=True),
    Column("step_id", String(64), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("phase", String(16), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("state", String(24), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("waiting_since", UTCDateTime, nullable=True),
    Column("started_at", UTCDateTime, nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("actor", String(64), nullable=True),
    Column("note", Text, nullable=True),
    Column("output", Text, nullable=True),  # JSON
)

drp_live_output = Table(  # the newest attempt's output tail, written as the step runs; the
    "drp_live_output",  # final tail is sealed in its journal entry (so: not evidence here)
    metadata,
    Column("run_id", Integer, ForeignKey("drp_runs.id"), primary_key=True),
    Column("step_id", String(64), primary_key=True),
    Column("attempt", Integer, nullable=False),
    Column("tail", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

drp_runner_leases = Table(  # one runner per run; renewed every few seconds (not evidence)
    "drp_runner_leases",
    metadata,
    Column("run_id", Integer, ForeignKey("drp_runs.id"), primary_key=True),
    Column("holder", String(255), nullable=False),  # "host pid"
    Column("acquired_at", UTCDateTime, nullable=False),
    Column("renewed_at", UTCDateTime, nullable=False),
)

drp_journal = Table(
    "drp_journal",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("drp_runs.id"), nullable=False),
    Column("step_id", String(64), nullable=True),
    Column("at", UTCDateTime, nullable=False),
    Column("event", String(32), nullable=False),
    Column("detail", Text, nullable=True),
    Index("ix_drp_journal_run", "run_id", "id"),
)

cluster_members = Table(  # daemons sharing a PostgreSQL ledger; leases in the database's clock
    "cluster_members",
    metadata,
    Column("member", String(128), primary_key=True),
    Column("epoch", Integer, nullable=False),  # the fencing token: raised at every (re)join
    Column("state", String(8), nullable=False),  # live | left | gone (reaped)
    Column("url", String(255), nullable=False),
    Column("host", String(128), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("session_id", Integer, nullable=True),  # its heartbeat session
    Column("config_digest", String(16), nullable=False),
    Column("joined_at", UTCDateTime, nullable=False),
    Column("renewed_at", UTCDateTime, nullable=False),
    Column("lease_until", UTCDateTime, nullable=False),
)

cluster_claims = Table(  # which member evaluates a unit; writes for it check this row
    "cluster_claims",
    metadata,
    Column("unit", String(128), primary_key=True),
    Column("member", String(128), nullable=False),
    Column("epoch", Integer, nullable=False),
    Column("since", UTCDateTime, nullable=False),
    Index("ix_cluster_claims_member", "member"),
)

report_data = Table(  # the data a filed report was rendered from: it renders the same bytes
    "report_data",  # after retention has rolled up what it was built from
    metadata,
    Column("kind", String(32), primary_key=True),
    Column("subject", String(64), primary_key=True),
    Column("period", String(16), primary_key=True),
    Column("data", Text, nullable=False),  # JSON
    Column("sha256", String(64), nullable=False),
    Column("kept_at", UTCDateTime, nullable=False),
)

site_switches = Table(  # which site serves a service from when (newest `at` wins): evidence
    "site_switches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("service_id", String(64), nullable=False),
    Column("site", String(32), nullable=False),  # the probes' `site` label: primary, secondary
    Column("at", UTCDateTime, nullable=False),  # in effect from (a DRP run: the RTO point)
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("run_id", Integer, nullable=True),  # the DRP run whose health gate switched it
    Column("step_id", String(64), nullable=True),
    Column("actor", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Index("ix_site_switches_service_at", "service_id", "at"),
)

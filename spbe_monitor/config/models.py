"""Strict models of the YAML files. Unknown keys are errors (`extra="forbid"`).

Rules that need several fields or files (classification, obligations, references) live in
`loader.py`, so each error can point at the line of the field concerned.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import date, timedelta
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from spbe_monitor.availability.calendar import FULL_WEEK
from spbe_monitor.availability.formula import Notice, Unmonitored
from spbe_monitor.config.calendar_models import (
    CalendarSettings,
    DaysOff,
    HolidayRule,
    SpecialHours,
)
from spbe_monitor.config.fields import Duration, OperatingHours, Require, ZoneName
from spbe_monitor.config.quick import DEFAULT_DATABASE, DEFAULT_LISTEN, DEFAULT_PORT, DEFAULT_ZONE
from spbe_monitor.regulation.classification import Basis, Classification, Nature, Scope
from spbe_monitor.regulation.eselon import Eselon
from spbe_monitor.regulation.roles import Role

Ident = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=64)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def _nip(value: Any) -> Any:
    """NIPs are 18 digits; accept them unquoted in YAML (read as an integer)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and not re.fullmatch(r"\d{18}", value):
        raise ValueError(f"NIP must be 18 digits, got {value!r}")
    return value


Nip = Annotated[str, BeforeValidator(_nip)]


def _percent(value: float) -> float:
    """Targets are percent: 0.95 would silently mean 0.95 % and every month "met"."""
    if value <= 1:
        raise ValueError(f"{value:g} looks like a fraction; write 95 for 95 %")
    if value > 100:
        raise ValueError(f"{value:g} is over 100 %")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tls(Strict):
    """The daemon's own HTTPS: PEM files, relative to spbe.yaml's folder (the key 0600)."""

    cert: Text
    key: Text


def _networks(value: list[str]) -> list[str]:
    for item in value:
        ipaddress.ip_network(item, strict=False)  # ValueError names the bad one
    return value


class Server(Strict):
    # HTTPS served by the daemon (None: plain HTTP, e.g. behind a TLS proxy)
    tls: Tls | None = None
    # reverse proxies whose X-Forwarded-Proto and X-Forwarded-For are believed
    trusted_proxies: Annotated[list[str], AfterValidator(_networks)] = []
    listen: str = DEFAULT_LISTEN
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    # what the API and Konsol may hold, so that the probes keep their descriptors
    max_connections: int = Field(default=512, ge=8, le=60000)
    max_connections_per_client: int = Field(default=64, ge=2, le=60000)
    # a connection that has not sent a whole request by then is closed (idle keep-alive,
    # or headers trickled in slowly)
    idle_timeout: Duration = timedelta(seconds=10)


class Email(Strict):
    """SMTP delivery of month-end reports to the people who answer for each service."""

    host: Text
    port: int = Field(default=587, ge=1, le=65535)
    sender: Text
    starttls: bool = True
    username: str | None = None
    password_env: str | None = None  # the password is read from this variable


class Header(Strict):
    """The kop surat at the top of every form."""

    government: Text  # Pemerintah Kabupaten Serang
    agency: Text  # the Perangkat Daerah: Dinas Komunikasi dan Informatika
    address: Text | None = None
    logo: Text | None = None  # a PNG or SVG file, relative to spbe.yaml's folder


class Reports(Strict):
    folder: Text = "../var/reports"  # relative to spbe.yaml's folder
    email: Email | None = None
    place: Text | None = None  # where the forms are signed: "Serang, 29 November 2026"
    header: Header | None = None
    notes: Text = "notes"  # Formulir I's notes per semester (2026-2.yaml), relative to here
    # the document number; fields: {formulir} {subjek} {periode} {tahun} {bulan_romawi}
    number: Text = "{formulir}/{subjek}/{periode}"


class Maintenance(Strict):
    """What counts as maintenance registered in advance (excused without approval)."""

    min_notice: Duration = timedelta(hours=24)
    max_duration: Duration = timedelta(hours=12)

    @property
    def notice(self) -> Notice:
        return Notice(int(self.min_notice.total_seconds()),
                      int(self.max_duration.total_seconds()))


class Konsol(Strict):
    """The Konsol's pages (/konsol/ needs a login; /status is the public one)."""

    # /status without login: each service's name, health now and this month's figure; no
    # NIPs, no causes. For the citizens the Katalog Layanan points to.
    public_status: bool = False
    # the address officials open the Konsol at (behind a proxy: its https:// name); links in
    # notifications use it (default: the daemon's own listen address)
    url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s/]+(/[^\s]*)?$")] | None = None


def _lease(value: timedelta) -> timedelta:
    if not timedelta(seconds=1) <= value <= timedelta(minutes=10):
        raise ValueError("a lease between 1s and 10m")
    return value


class Location(Strict):
    """A site an agent (`spbe agent`) probes from."""

    # SHA-256 of the agent's token (`spbe agent token` makes one); the token stays there
    token_sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    # judgement of the probes it shares waits this long for its results (an agent cut off
    # spools them and sends them late): longer than a cut to ride out, shorter than the
    # delay an outage may be confirmed with
    silence: Duration = timedelta(minutes=2)


def _horizon(value: timedelta) -> timedelta:
    if value < timedelta(days=62):
        raise ValueError("keep at least 62d of hourly rows (this month and the last)")
    return value


class Retention(Strict):
    """What is not evidence is thinned out after a while (docs/scale-out.md)."""

    # hourly utilisation and state transitions older than this (whole UTC months) are
    # rolled up into daily rows and compacted; reports filed for those months are kept
    # with the data they were rendered from, and render the same bytes
    hourly: Annotated[Duration, AfterValidator(_horizon)] = timedelta(days=395)
    # the nightly run, in the configured zone (the cluster's leader runs it)
    at: Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] = "02:30"


class LedgerBackup(Strict):
    """The monitor's own disaster (docs/drp.md): a verified copy of a SQLite ledger nightly."""

    enabled: bool = True
    # put it on another disk or a mount that is copied off the machine
    folder: Text = "../var/backups"
    at: Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] = "01:30"
    keep: int = Field(default=14, ge=1, le=3650)


class Cluster(Strict):
    """Several daemons on one PostgreSQL ledger (docs/scale-out.md)."""

    enabled: bool = False
    # a member whose lease runs out is declared dead; its services move within two leases
    lease: Annotated[Duration, AfterValidator(_lease)] = timedelta(seconds=10)
    # unique per daemon; default "<host>:<port>"
    member: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$",
                                             max_length=128)] | None = None


class Telegram(Strict):
    """The daemon's own messages to people (the DRP war room) through a Telegram bot, to the
    `telegram_chat_id` of everyone in people.yaml who answers for the playbook's services."""

    token_file: Text  # the bot's token, alone in a file (0600; read when sending, never logged)
    api_url: Text = "https://api.telegram.org"


DEFAULT_AUDIT_KEY = "../keys/signing.key"
OLD_AUDIT_KEY = "../var/audit/signing.key"  # the default before the key folder left var/


class Settings(Strict):
    """config/spbe.yaml: daemon settings; paths are relative to this file's folder."""

    timezone: ZoneName = DEFAULT_ZONE
    database: Text = DEFAULT_DATABASE
    services: Text = "services.yaml"
    people: Text = "people.yaml"
    probes: Text = "../probes"
    playbooks: Text = "../drp_playbooks"
    unmonitored: Unmonitored = Unmonitored.AVAILABLE
    # below this share of the operating hours observed, a month is "tidak dapat dinilai"
    min_coverage: Annotated[float, Field(ge=0, le=100)] = 90.0
    # how often the daemon records that it is observing: a crash loses at most this much
    heartbeat_interval: Duration = timedelta(seconds=1)
    spool: Text = "../var/spool"  # ledger writes the database refused wait here (local disk)
    # signs checkpoints of the audit chain; kept outside the database and apart from the
    # ledger's folder (with the witness and the secrets key), created at first start
    audit_key: Text = DEFAULT_AUDIT_KEY
    # OS users who may mint and revoke personal API tokens (`spbe token issue|revoke`)
    admins: list[Annotated[str, StringConstraints(pattern=r"^[a-z_][a-z0-9_.-]*$")]] = []
    token_lifetime: Duration = timedelta(days=90)
    # the unprivileged OS user DRP command steps run as when the daemon or runner is root
    service_user: Annotated[str, StringConstraints(pattern=r"^[a-z_][a-z0-9_.-]*$")] = "spbe"
    max_concurrency: int = Field(default=512, ge=1, le=100_000)  # checks in flight at once
    server: Server = Server()
    reports: Reports = Reports()
    maintenance: Maintenance = Maintenance()
    konsol: Konsol = Konsol()
    cluster: Cluster = Cluster()
    retention: Retention = Retention()
    backup: LedgerBackup = LedgerBackup()
    telegram: Telegram | None = None
    location: Ident = "pusat"  # where this daemon probes from
    locations: dict[Ident, Location] = {}  # where its agents probe from
    calendar: CalendarSettings = CalendarSettings()  # local holidays, decree files
    special_hours: list[SpecialHours] = []  # e.g. Ramadan office hours


class Service(Strict):
    """One row of Formulir C (Rencana Keberlangsungan Layanan) plus how it is monitored."""

    id: Ident
    name: Text
    provider: Text
    technical_team: Text
    nature: Nature
    application_basis: Basis
    user_scope: Scope
    classification: Classification | None = None
    availability_target: Annotated[float, AfterValidator(_percent)] | None = None
    rto: Duration | None = None
    rpo: Duration | None = None
    operating_hours: OperatingHours = FULL_WEEK
    timezone: ZoneName | None = None
    components: list[Ident] = []
    require: Require = "all"
    # the secondary site's probes: checked and exported, never part of the availability rule
    # (a standby is down by design); a DRP `wait_healthy` waits for them
    standby: list[Ident] = []
    drp_playbook: Ident | None = None
    unmonitored: Unmonitored | None = None
    # which national days off the hours skip (default: none for 24x7, else nasional and
    # cuti bersama), and the service's own days off (a list, or a .yaml/.ics file)
    holidays: HolidayRule | None = None
    extra_holidays: DaysOff = []

    @field_validator("nature", "application_basis", "user_scope", "classification",
                     mode="before")
    @classmethod
    def _any_case(cls, value: Any) -> Any:
        """`Publik`, `KRITIS`: the regulation's words, however capitalised."""
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def zone(self) -> str:
        """The service's zone; the loader fills in the default from spbe.yaml."""
        assert self.timezone is not None, "loader sets every service's zone"
        return self.timezone

    @property
    def klass(self) -> Classification:
        """The classification, explicit or from Tabel 4.1 (the loader guarantees one)."""
        assert self.classification is not None, "loader sets every service's classification"
        return self.classification


class Plan(Strict):
    """Formulir C as adopted: its version, and the date it was signed and took effect."""

    version: int | Text = 1
    adopted: date | None = None


class ServicesFile(Strict):
    plan: Plan = Plan()
    services: list[Service]


class Person(Strict):
    nip: Nip
    name: Text
    position: Text
    eselon: Eselon | None = None
    rank: Text | None = None  # pangkat/golongan, printed under the signature
    roles: list[Role] = []
    services: list[Ident] = []
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    telegram_chat_id: int | None = None  # where Alertmanager's Telegram messages go


class PeopleFile(Strict):
    people: list[Person]

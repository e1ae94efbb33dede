"""Load spbe.yaml and the files it names into one immutable Config, reporting every error.

Each error reads `file:line: field.path: message`, and all of them come at once, so a user
fixes a file in one pass.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from spbe_monitor.availability.calendar import FULL_WEEK, Calendar, HoursError
from spbe_monitor.config.calendar_models import HolidayRule
from spbe_monitor.config.holidays import Holiday, HolidayBook, days_off, decrees, month_span
from spbe_monitor.config.inventory import Sources, load_inventory
from spbe_monitor.config.models import (
    DEFAULT_AUDIT_KEY,
    OLD_AUDIT_KEY,
    PeopleFile,
    Person,
    Plan,
    Service,
    ServicesFile,
    Settings,
)
from spbe_monitor.config.quick import config_path, resolve_database_url
from spbe_monitor.config.said import said
from spbe_monitor.config.yamlmarks import Loc, Marked, YamlError, load
from spbe_monitor.errors import BadInput, ConfigError
from spbe_monitor.probers.base import ProbeSettings
from spbe_monitor.regulation.classification import classify, obligations

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Config:
    path: Path
    settings: Settings
    services: dict[str, Service]
    people: dict[str, Person]
    database_url: str
    probes_dir: Path
    playbooks_dir: Path
    warnings: tuple[str, ...]
    probes: dict[str, ProbeSettings] = field(default_factory=dict)
    probe_sources: Sources = field(default_factory=dict)  # where each probe was written
    # services nobody in people.yaml answers for: a warning to the daemon, an error to
    # check-config (their alerts reach nobody, nobody may register their maintenance)
    unanswered: tuple[str, ...] = ()
    reports_dir: Path = Path("var/reports")
    spool_dir: Path = Path("var/spool")
    audit_key_path: Path = Path("var/audit/signing.key")
    backup_dir: Path = Path("var/backups")
    plan: Plan = field(default_factory=Plan)  # Formulir C's version and adoption date
    holiday_book: HolidayBook = field(default_factory=HolidayBook)
    extra_holidays: dict[str, tuple[Holiday, ...]] = field(default_factory=dict)

    @property
    def secrets_key_path(self) -> Path:
        """The key that encrypts TOTP secrets, in the key folder beside the audit key."""
        return self.audit_key_path.parent / "totp.key"

    def holidays(self, service_id: str, first: date, last: date) -> list[Holiday]:
        """The service's days off from `first` to `last`, each with its source."""
        svc = self.services[service_id]
        assert svc.holidays is not None, "loader sets every service's holiday rule"
        return self.holiday_book.applied(svc.holidays, self.extra_holidays.get(service_id, ()),
                                         first, last)

    def calendar(self, service_id: str, year: int, month: int) -> Calendar:
        """The service's operating calendar as it bears on one month."""
        svc = self.services[service_id]
        assert svc.holidays is not None, "loader sets every service's holiday rule"
        first, last = month_span(year, month)
        return self.holiday_book.calendar(service_id, svc.operating_hours, svc.holidays,
                                          self.extra_holidays.get(service_id, ()), first,
                                          last)

    @property
    def spool_path(self) -> Path:
        """The durable writer's spool, one per ledger (named by its URL's hash)."""
        digest = hashlib.sha256(self.database_url.encode()).hexdigest()[:12]
        return self.spool_dir / f"ledger-{digest}.spool"

    def service(self, service_id: str) -> Service:
        try:
            return self.services[service_id]
        except KeyError:
            known = ", ".join(sorted(self.services)) or "none"
            raise BadInput(f"unknown service {service_id!r} (known: {known})") from None

    def person(self, nip: str) -> Person:
        try:
            return self.people[nip]
        except KeyError:
            raise BadInput(f"unknown person: no NIP {nip!r} in people.yaml") from None


def dotted(loc: Loc) -> str:
    return ".".join(str(p) for p in loc) or "(document)"


class _Errors:
    def __init__(self) -> None:
        self.items: list[str] = []

    def at(self, doc: Marked, loc: Loc, message: str) -> None:
        self.items.append(f"{doc.where(loc)}: {dotted(loc)}: {message}")

    def at_field(self, doc: Marked, loc: Loc, field: str, message: str) -> None:
        self.at(doc, (*loc, field), message)


def _validate(model: type[M], doc: Marked, errors: _Errors) -> M | None:
    data = {} if doc.data is None else doc.data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            errors.at(doc, error_loc(err), said(err, model))
        return None


def error_loc(err: ErrorDetails) -> Loc:
    """Where a validation error points: deeper than the field when the error knows the key
    (operating hours name the day entry, so the line is the value's own)."""
    loc = tuple(err["loc"])
    cause = err.get("ctx", {}).get("error")
    return (*loc, cause.key) if isinstance(cause, HoursError) else loc


def _read(path: Path, errors: _Errors) -> Marked | None:
    try:
        return load(path)
    except YamlError as exc:
        errors.items.append(str(exc))
        return None


def load_config(path: Path | None = None) -> Config:
    """Read and check everything; raise ConfigError listing every problem found."""
    path = config_path(path)
    errors = _Errors()
    doc = _read(path, errors)
    settings = _validate(Settings, doc, errors) if doc else None
    if settings is None or doc is None:
        raise ConfigError(errors.items)
    base = path.parent
    services_doc = _read(base / settings.services, errors)
    people_doc = _read(base / settings.people, errors)
    services_file = _validate(ServicesFile, services_doc, errors) if services_doc else None
    people_file = _validate(PeopleFile, people_doc, errors) if people_doc else None
    playbooks_dir = (base / settings.playbooks).resolve()
    probes_dir = (base / settings.probes).resolve()
    sources: Sources = {}
    probes, named = load_inventory(probes_dir, errors.at, errors.items.append,
                                   {settings.location, *settings.locations}, sources)
    if settings.location in settings.locations:
        errors.at(doc, ("locations", settings.location), "this daemon's own location "
                  "cannot be an agent's too")

    services: dict[str, Service] = {}
    extra: dict[str, tuple[Holiday, ...]] = {}
    warnings: list[str] = []
    if services_file and services_doc:
        for i, svc in enumerate(services_file.services):
            loc: Loc = ("services", i)
            if svc.id in services:
                errors.at(services_doc, (*loc, "id"), f"duplicate service id {svc.id!r}")
                continue
            extra[svc.id] = days_off(svc.extra_holidays, "layanan", base, services_doc,
                                     (*loc, "extra_holidays"), errors.at)
            services[svc.id] = _resolve_service(
                svc, settings, playbooks_dir, partial(errors.at_field, services_doc, loc),
                warnings.append, services_doc.where((*loc, "classification")),
            )
            for field in ("components", "standby"):
                for j, component in enumerate(getattr(svc, field)):
                    if component not in named:
                        errors.at(services_doc, (*loc, field, j), f"unknown probe id "
                                  f"{component!r} (not in {probes_dir}/*.yaml)")
                    elif field == "standby" and component in svc.components:
                        errors.at(services_doc, (*loc, field, j), f"{component!r} is "
                                  "already a component: a standby probe is not one")
            if isinstance(svc.require, int) and svc.require > len(svc.components):
                errors.at(services_doc, (*loc, "require"), f"needs {svc.require} components "
                          f"but the service lists {len(svc.components)}")
    people: dict[str, Person] = {}
    if people_file and people_doc:
        for i, person in enumerate(people_file.people):
            loc = ("people", i)
            if person.nip in people:
                errors.at(people_doc, (*loc, "nip"), f"duplicate NIP {person.nip}")
            people[person.nip] = person
            for j, sid in enumerate(person.services):
                if services_file and sid not in services:
                    errors.at(people_doc, (*loc, "services", j), f"unknown service {sid!r}")
    unanswered = _unanswered(services, people, services_doc)
    book = HolidayBook(
        days_off(settings.calendar.local, "lokal", base, doc, ("calendar", "local"), errors.at),
        decrees(settings.calendar.decrees, base, doc, errors.at),
        tuple((s, s.week) for s in settings.special_hours))
    for i, special in enumerate(settings.special_hours):
        for j, sid in enumerate(special.services or []):
            if services_file and sid not in services:
                errors.at(doc, ("special_hours", i, "services", j), f"unknown service {sid!r}")
    env_url = os.environ.get("SPBE_DATABASE_URL")
    database_url = env_url or resolve_database_url(settings.database, base)
    if settings.cluster.enabled and not database_url.startswith("postgresql"):
        errors.at(doc, ("cluster", "enabled"), "a cluster needs a PostgreSQL ledger (the "
                  "members coordinate through it); this ledger is "
                  f"{database_url.split(':', 1)[0]}: set `database:` to a postgresql:// URL "
                  "or turn the cluster off")
    if errors.items:
        raise ConfigError(errors.items)
    audit_key = _audit_key(base, settings, warnings)
    return Config(
        path=path,
        settings=settings,
        services=services,
        people=people,
        database_url=database_url,
        probes_dir=probes_dir,
        playbooks_dir=playbooks_dir,
        warnings=tuple(warnings),
        probes=probes,
        probe_sources=sources,
        unanswered=tuple(unanswered),
        reports_dir=(base / settings.reports.folder).resolve(),
        spool_dir=(base / settings.spool).resolve(),
        audit_key_path=audit_key,
        backup_dir=(base / settings.backup.folder).resolve(),
        plan=services_file.plan if services_file else Plan(),
        holiday_book=book,
        extra_holidays=extra,
    )


def _unanswered(services: dict[str, Service], people: dict[str, Person],
                services_doc: Marked | None) -> list[str]:
    """A finding per service that no person answers for, at the service's line."""
    answered = {sid for p in people.values() for sid in p.services}
    out = []
    for i, sid in enumerate(services):
        where = services_doc.where(("services", i, "id")) if services_doc else "services"
        if sid not in answered:
            out.append(f"{where}: services.{i}.id: nobody in people.yaml answers for {sid}: "
                       "its alerts would reach no one and no one could register its "
                       "maintenance; add it to a person's services")
    return out


def _audit_key(base: Path, settings: Settings, warnings: list[str]) -> Path:
    """The key folder is apart from the ledger's (a backup of one does not carry the other);
    a key an older version made in the ledger's folder by default is still used, with a word."""
    path = (base / settings.audit_key).resolve()
    old = (base / OLD_AUDIT_KEY).resolve()
    if settings.audit_key == DEFAULT_AUDIT_KEY and not _exists(path) and _exists(old):
        warnings.append(f"the audit key is in the ledger's folder ({old.parent}): stop the "
                        f"daemon and move that folder to {path.parent} (docs/security.md)")
        return old
    return path


def _exists(path: Path) -> bool:
    """Whether it exists, as far as this user can tell (a key folder closed to an official
    is not an error of the config they read)."""
    try:
        return path.exists()
    except PermissionError:
        return True  # there is something there, not ours to see


def _resolve_service(
    svc: Service,
    settings: Settings,
    playbooks_dir: Path,
    error: Callable[[str, str], None],
    warn: Callable[[str], None],
    where: str,
) -> Service:
    """Fill defaults from Tabel 4.1 and spbe.yaml; check the regulation's obligations."""
    table = classify(svc.nature, svc.application_basis, svc.user_scope)
    klass = svc.classification or table
    if klass is None:
        error("classification", "required: Tabel 4.1 has no row for "
              f"{svc.nature}/{svc.application_basis}/{svc.user_scope}; set it explicitly")
        return svc
    if svc.classification and table and svc.classification is not table:
        warn(f"{where}: services.{svc.id}.classification: {svc.classification.label} differs "
             f"from Tabel 4.1 ({table.label}); kept as set")
    target_needed, drp_needed = obligations(klass)
    if target_needed and svc.availability_target is None:
        error("availability_target", f"required for a {klass.label} service")
    if drp_needed:
        for field in ("rto", "rpo", "drp_playbook"):
            if getattr(svc, field) is None:
                error(field, f"required for a {klass.label} service")
    if svc.drp_playbook and not any(
        (playbooks_dir / f"{svc.drp_playbook}{ext}").is_file() for ext in (".yaml", ".yml")
    ):
        # a secondary site may keep only the configuration and the ledger's replica: the
        # approved text is there (`drp start --approved`)
        warn(f"{where}: services.{svc.id}.drp_playbook: no playbook {svc.drp_playbook}.yaml "
             f"in {playbooks_dir}; `spbe drp start {svc.drp_playbook} --approved` runs the "
             "text last approved in the ledger")
    return svc.model_copy(update={
        "classification": klass,
        "timezone": svc.timezone or settings.timezone,
        "unmonitored": svc.unmonitored or settings.unmonitored,
        "holidays": svc.holidays or (HolidayRule.NONE if svc.operating_hours == FULL_WEEK
                                     else HolidayRule.NASIONAL_CUTI_BERSAMA),
    })

"""The one room where every act carrying a person's authority is decided, for every channel
(CLI, API, Konsol): one method per act. It takes who is acting as a channel authenticated
them (`Acting`, never a typed-in NIP), applies the regulation's pure rules
(`regulation/authority.py`, `drp/gates.py`), asks for the second factor on eselon II acts,
and audits every refusal with its reason before raising it."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from spbe_monitor import refusals
from spbe_monitor.clock import Clock
from spbe_monitor.config.loader import Config
from spbe_monitor.config.models import Person
from spbe_monitor.drp.gates import coordinator_refusal, document_refusal, refusal, signing_eselon
from spbe_monitor.drp.playbook import Playbook
from spbe_monitor.errors import Refused
from spbe_monitor.ledger.store import Store
from spbe_monitor.regulation import authority as rules
from spbe_monitor.regulation.eselon import Eselon, at_least
from spbe_monitor.regulation.roles import Role
from spbe_monitor.reports.words import zona
from spbe_monitor.secondfactor import MEMORY, matched_step, throttled_until
from spbe_monitor.secretbox import SecretBox

BREAK_GLASS = " (break-glass)"


WRONG_CODE = "the TOTP code is wrong or expired"
THROTTLED = "too many wrong TOTP codes"


@dataclass(frozen=True)
class Acting:
    """Who acts: a person whose credential a channel checked, with the TOTP code presented
    for this act if any; or an administrator on the offline break-glass path."""

    actor: str  # the person's NIP; `os:<user> (break-glass)` for the break-glass path
    person: Person | None
    totp: str | None = None

    @classmethod
    def of(cls, person: Person, totp: str | None = None) -> Acting:
        return cls(person.nip, person, totp)

    @classmethod
    def break_glass(cls, os_user: str) -> Acting:
        return cls(f"os:{os_user}{BREAK_GLASS}", None)

    @property
    def os_user(self) -> str:
        return self.actor.removeprefix("os:").removesuffix(BREAK_GLASS)


class Authority:
    def __init__(self, config: Config, store: Store, clock: Clock) -> None:
        self.config, self.store, self.clock = config, store, clock

    def refuse(self, actor: str, action: str, subject: str, reason: str) -> Refused:
        """Audit the refusal, then hand back the exception to raise."""
        self.store.record_refusal(self.clock.now(), actor[:64], action, subject, reason)
        return Refused(reason)

    def _person(self, who: Acting, action: str, subject: str) -> Person:
        if who.person is None:
            raise self.refuse(who.actor, action, subject, "the break-glass path is for DRP "
                              "runs only; this act needs a person's own credential")
        return who.person

    def _ruled(self, who: Acting, action: str, subject: str, why: str | None) -> str:
        if why:
            raise self.refuse(who.actor, action, subject, why)
        return who.actor

    def service_view(self, who: Acting, service_id: str) -> None:
        """A service's pages in the Konsol: only for people who answer for it."""
        person = self._person(who, "konsol.view", f"service:{service_id}")
        if service_id not in person.services:
            raise self.refuse(who.actor, "konsol.view", f"service:{service_id}",
                              "not responsible for this service")

    def drp_view(self, who: Acting, book: Playbook) -> None:
        """A playbook or run page in the Konsol: for people answering for a service it
        recovers."""
        subject = f"playbook:{book.id}"
        person = self._person(who, "konsol.view", subject)
        if not set(book.head.services) & set(person.services):
            raise self.refuse(who.actor, "konsol.view", subject,
                              "not responsible for a service this playbook recovers")

    def second_factor(self, who: Acting, action: str, subject: str) -> None:
        """Eselon II acts need a fresh TOTP code from the person's enrolled authenticator,
        each code accepted once."""
        enrolled = self.store.totp_secret(who.actor)
        if enrolled is None or not enrolled[1]:
            raise self.refuse(who.actor, action, subject, "this eselon II act needs a TOTP "
                              "code and no authenticator is enrolled: run `spbe totp enrol`")
        if not who.totp:
            raise self.refuse(who.actor, action, subject, "this eselon II act needs a TOTP "
                              "code (--totp on the command line, X-SPBE-TOTP on the API)")
        now = self.clock.now()
        until = throttled_until(self.store.refusal_times(who.actor, WRONG_CODE, now - MEMORY),
                                now)
        if until is not None:
            zone = self.config.settings.timezone
            raise self.refuse(who.actor, action, subject, f"{THROTTLED}: try again after "
                              f"{until.astimezone(ZoneInfo(zone)):%H.%M} {zona(zone)}")
        secret = SecretBox.load_or_create(self.config.secrets_key_path).open(enrolled[0])
        step = matched_step(secret, who.totp, now)
        if step is None:
            refusals.refused("totp")
            raise self.refuse(who.actor, action, subject, WRONG_CODE)
        if not self.store.use_totp_step(who.actor, step):
            raise self.refuse(who.actor, action, subject, "this TOTP code was used already; "
                              "wait for the next one")

    def _break_glass(self, who: Acting, action: str, subject: str) -> str:
        why = rules.admin_refusal(who.os_user, self.config.settings.admins)
        return self._ruled(who, action, subject, why and f"break-glass: {why}")

    # Manual changes to the ledger

    def maintenance_change(self, who: Acting, action: str, services: Collection[str],
                           subject: str) -> str:
        """Register or cancel maintenance of `services`."""
        p = self._person(who, action, subject)
        return self._ruled(who, action, subject,
                           rules.maintenance_change(p.roles, p.services, services))

    def downtime_change(self, who: Acting, action: str, services: Collection[str],
                        subject: str) -> str:
        """Enter or annotate downtime of `services`."""
        p = self._person(who, action, subject)
        return self._ruled(who, action, subject,
                           rules.downtime_change(p.roles, p.services, services))

    def site_switch(self, who: Acting, service_id: str) -> str:
        """Switch the site serving a service by hand (a failover outside a DRP run)."""
        subject = f"service:{service_id}"
        p = self._person(who, "site.switch", subject)
        return self._ruled(who, "site.switch", subject,
                           rules.site_switch(p.roles, p.services, service_id))

    def maintenance_approval(self, who: Acting, window_id: int,
                             services: Collection[str]) -> list[str]:
        """The services of a late window this person approves (eselon II, with TOTP)."""
        action, subject = "maintenance.approve", f"maintenance:{window_id}"
        p = self._person(who, action, subject)
        allowed, why = rules.maintenance_approval(p.roles, p.eselon, p.services, services)
        self._ruled(who, action, subject, why and f"approval refused: {why}")
        self.second_factor(who, action, subject)
        return allowed

    def report_signoff(self, who: Acting, kind: str, service_ids: Collection[str],
                       subject: str) -> str:
        """"Mengetahui" on a filed form: a Penyedia Layanan, eselon II or higher, of every
        service it reports on, with the second factor."""
        action = "report.signoff"
        p = self._person(who, action, subject)
        why = None
        if Role.PENYEDIA_LAYANAN not in p.roles or not at_least(p.eselon, Eselon.II):
            why = f"{kind} is signed as Mengetahui by a Penyedia Layanan, eselon II or higher"
        elif set(service_ids) - set(p.services):
            why = "not responsible for " + ", ".join(sorted(set(service_ids) - set(p.services)))
        self._ruled(who, action, subject, why)
        self.second_factor(who, action, subject)
        return who.actor

    def calendar_change(self, who: Acting, service_id: str, period: str) -> str:
        """Change the calendar a filed month was computed with (a holiday decreed late): a
        Penyedia Layanan or Koordinator Layanan of the service."""
        action, subject = "calendar.freeze", f"calendar:{service_id}/{period}"
        p = self._person(who, action, subject)
        why = None
        if not {Role.PENYEDIA_LAYANAN, Role.KOORDINATOR_LAYANAN} & set(p.roles):
            why = ("a filed month's calendar is changed by a Penyedia Layanan or Koordinator "
                   "Layanan")
        elif service_id not in p.services:
            why = f"not responsible for {service_id}"
        return self._ruled(who, action, subject, why)

    # DRP

    def drp_document(self, who: Acting, book: Playbook) -> str:
        """Approve a DRP document: a Penyedia Layanan (eselon II+, with TOTP) of a service
        it recovers."""
        action, subject = "drp.document.approve", f"playbook:{book.id}"
        p = self._person(who, action, subject)
        self._ruled(who, action, subject,
                    document_refusal(book, p.roles, p.eselon, p.services))
        self.second_factor(who, action, subject)
        return who.actor

    def drp_opening(self, who: Acting, action: str, name: str) -> None:
        """Before a playbook is even read: only someone who could start a run (a
        Koordinator Pemulihan) or approve a document (a Penyedia Layanan, eselon II+) at
        all — or the break-glass administrator — makes the daemon open one. Which service's
        playbook it is gets decided after (`drp_start`, `drp_document`)."""
        subject = f"playbook:{name[:64]}"
        if who.person is None:
            self._break_glass(who, action, subject)
            return
        p = who.person
        if action == "drp.start":
            why = (None if Role.KOORDINATOR_PEMULIHAN in p.roles
                   else "starting a run is for a Koordinator Pemulihan")
        else:
            why = (None if Role.PENYEDIA_LAYANAN in p.roles and at_least(p.eselon, Eselon.II)
                   else "a DRP document is approved by a Penyedia Layanan, eselon II or "
                   "higher")
        self._ruled(who, action, subject, why)

    def drp_start(self, who: Acting, book: Playbook, mode: str) -> str:
        action, subject = "drp.start", f"playbook:{book.id}"
        if who.person is None:
            return self._break_glass(who, action, subject)
        p = who.person
        return self._ruled(who, action, subject, coordinator_refusal(
            book, "starting a run", p.roles, p.eselon, p.services,
            Eselon.III if mode == "disaster" else None))

    def drp_step(self, who: Acting, book: Playbook, run_id: int, step_id: str,
                 starter: str, valid: Callable[[], object] = lambda: None,
                 action: str = "drp.approve") -> str:
        """Sign a gate or an approval step, or confirm a manual step (or sign its act
        again: `drp.reassess` of the analysis). `valid` checks the act itself (step order,
        checklist, Tabel 4.3) after the rules and before a TOTP code is spent, so a
        signature tried too early does not burn the code."""
        subject = f"drp-run:{run_id}/{step_id}"
        if who.person is None:
            actor = self._break_glass(who, action, subject)
            valid()
            return actor
        p = who.person
        self._ruled(who, action, subject, refusal(book, step_id, p.nip, p.roles, p.eselon,
                                                  p.services, starter))
        valid()
        needed = signing_eselon(book, step_id)
        if needed is not None and at_least(needed, Eselon.II):
            self.second_factor(who, action, subject)
        return who.actor

    def drp_steer(self, who: Acting, book: Playbook, act: str, action: str,
                  subject: str) -> str:
        """Abort a run or decide on an in-doubt or failed step: a Koordinator Pemulihan,
        eselon III+, of a covered service."""
        if who.person is None:
            return self._break_glass(who, action, subject)
        p = who.person
        return self._ruled(who, action, subject, coordinator_refusal(
            book, act, p.roles, p.eselon, p.services, Eselon.III))

    def drp_evaluation(self, who: Acting, book: Playbook, subject: str) -> str:
        """Write the evaluation of a run (causes, obstacles, improvements) for Formulir G:
        a Koordinator Pemulihan of a service the playbook recovers, any eselon."""
        action = "drp.evaluate"
        if who.person is None:
            return self._break_glass(who, action, subject)
        p = who.person
        return self._ruled(who, action, subject, coordinator_refusal(
            book, "writing the evaluation", p.roles, p.eselon, p.services, None))

    # Credentials

    def administrator(self, os_user: str, action: str, subject: str) -> str:
        """Mint or revoke a token, reset a second factor: an administrator in spbe.yaml."""
        actor = f"os:{os_user}"
        why = rules.admin_refusal(os_user, self.config.settings.admins)
        if why:
            raise self.refuse(actor, action, subject, why)
        return actor

"""Who is acting at the command line: the person whose token is presented (`SPBE_TOKEN`,
or the one `spbe login` stored for this OS user), checked against the ledger's token
hashes — never a NIP typed on the command line. The ledger is checked directly rather than
through the daemon's API so that the DRP runner works at a secondary site with a ledger
replica and no daemon; a shell user able to write the ledger could bypass any CLI check
anyway (docs/security.md)."""

from __future__ import annotations

import functools
import os
import re
from datetime import datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from spbe_monitor.api.tokens import digest
from spbe_monitor.authority import Acting, Authority
from spbe_monitor.config.loader import Config
from spbe_monitor.config.models import Person
from spbe_monitor.credentials import os_user, presented_token, token_file
from spbe_monitor.errors import BadInput, Refused
from spbe_monitor.ledger.store import Store


def store_token(token: str) -> Path:
    """Keep the token for this OS user only (folder 0700, file 0600)."""
    path = token_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    os.chmod(path, 0o600)
    return path


def person_of(token: str, config: Config, store: Store, now: datetime) -> Person | None:
    nip = store.token_owner(digest(token), now)
    return None if nip is None else config.people.get(nip)


def acting_person(config: Config, store: Store, now: datetime, action: str,
                  totp: str | None = None) -> Acting:
    """The authenticated person (with the TOTP code given for this act), or a refusal
    (audited as the OS user) saying why."""
    token = presented_token()
    person = person_of(token, config, store, now) if token else None
    if person is not None:
        return Acting.of(person, totp)
    reason = ("no credential: run `spbe login` (or set SPBE_TOKEN) with your personal "
              "token" if token is None else "the token presented is unknown, expired or "
              "revoked, or its owner is no longer in people.yaml")
    store.record_refusal(now, f"os:{os_user()}", action, "authentication", reason)
    raise Refused(reason)


def break_glass(authority: Authority, action: str) -> Acting:
    """The offline path for a real disaster: an administrator acts on the ledger directly,
    without a person's credential, only while no daemon holds the ledger (with the daemon
    up, people act with their own tokens). The room still checks the administrator."""
    from spbe_monitor.ledger.lock import Holder, LedgerLock

    who = Acting.break_glass(os_user())
    lock = LedgerLock(authority.store.engine, Holder.me())
    try:
        lock.acquire()
    except Refused as exc:
        raise authority.refuse(who.actor, action, "break-glass",
                               f"{exc}: the break-glass path is for when the daemon is down; "
                               "act with your own credential") from None
    lock.release()
    return who


MAX_FAILED_LOGINS, LOCKOUT = 10, timedelta(minutes=15)  # password guessing is slowed down


class LoginRefused(Refused):
    """A password login refused; `locked` when the NIP is locked out for a while."""

    def __init__(self, message: str, locked: bool) -> None:
        super().__init__(message)
        self.locked = locked


def password_login(config: Config, store: Store, nip: str, password: str,
                   now: datetime, client: str) -> Person:
    """The person a NIP and password identify, for every channel (CLI `login --nip`, the
    Konsol). Ten failures within 15 minutes for a NIP *from one client* (an address, or an
    OS user) lock that client out of that NIP for the rest of the window, so a stranger
    guessing cannot lock the official out from the official's own desk; every failure and
    every locked-out try is audited. Unknown NIPs cost the same hashing as known ones."""
    nip = nip.strip()[:64]
    where = f"client:{client}"[:128]
    recent = store.refusals_since(nip, "login", now - LOCKOUT, subject=where)
    if recent >= MAX_FAILED_LOGINS:
        reason = (f"{recent} failed logins for {nip} from {client} in the last "
                  f"{LOCKOUT.seconds // 60} minutes: try again later or ask an "
                  "administrator for a token")
        store.record_refusal(now, nip, "login.locked", where, reason)
        raise LoginRefused(reason, locked=True)
    person = config.people.get(nip)
    stored = store.password_hash(nip) if person else None
    matched = password_matches(stored, password)  # always hashed: no timing oracle
    if person is None or not matched:
        store.record_refusal(now, nip, "login", where, "wrong NIP or password")
        raise LoginRefused("wrong NIP or password", locked=False)
    return person


MIN_PASSWORD = 12
MIN_STRENGTH = 3  # zxcvbn's score: 3 is "safely unguessable" against online guessing
_HASHER = PasswordHasher()  # argon2id with the library's current parameters


def check_password(password: str, person: Person) -> None:
    """A password a person may choose: long, not their NIP or name, and not guessable by
    zxcvbn's lists (common passwords, words, names, keyboard patterns, repeats)."""
    # its lists load in ~0.1 s: imported only when a password is set
    from zxcvbn import zxcvbn  # type: ignore[import-untyped]

    if len(password) < MIN_PASSWORD:
        raise BadInput(f"a password needs at least {MIN_PASSWORD} characters")
    folded = re.sub(r"[\W_]+", "", password.casefold())
    name = re.sub(r"[\W_]+", "", person.name.split(",")[0].casefold())  # no gelar
    if person.nip in folded or (name and name in folded):
        raise BadInput("a password must not contain your NIP or your name")
    verdict = zxcvbn(password[:100], user_inputs=[person.nip, *person.name.split()])
    if verdict["score"] < MIN_STRENGTH:
        hint = verdict["feedback"]["warning"] or "it is easy to guess"
        raise BadInput(f"this password is too easy to guess ({hint.rstrip('.')}): choose a "
                       "longer phrase of unrelated words")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise BadInput(f"a password needs at least {MIN_PASSWORD} characters")
    return _HASHER.hash(password)


def password_matches(stored: str | None, password: str) -> bool:
    """Constant work whether or not the person has a password (no timing oracle)."""
    try:
        return _HASHER.verify(stored or _nobody(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@functools.cache
def _nobody() -> str:
    """A hash to verify against when there is none, made once when first needed (not at
    import: every CLI command imports this module)."""
    return _HASHER.hash("no password is set for this person")

"""Who acts in tests, as a channel would have authenticated them: a person's `Acting` for
calls into Desk and Drp, and TOTP codes from an authenticator enrolled in the test ledger
(as `spbe totp enrol` + `confirm` would), ready to present now."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyotp
from sqlalchemy import delete

from spbe_monitor.authority import Acting
from spbe_monitor.config.loader import Config
from spbe_monitor.ledger.store import Store
from spbe_monitor.ledger.tables import totp_uses
from spbe_monitor.secondfactor import new_secret
from spbe_monitor.secretbox import SecretBox


def totp_code(store: Store, nip: str, when: datetime | None = None,
              key: Path | None = None) -> str:
    """A code for `nip` at `when` (default now), enrolling and confirming an authenticator
    first if needed: encrypted with the secrets key at `key` as `spbe totp enrol` does, or
    without one in the plain form of older versions (still read, encrypted at the daemon's
    start). The record of codes used is cleared so that one test can act twice within 30 s;
    the one-use rule has its own test."""
    box = SecretBox.load_or_create(key) if key else None
    enrolled = store.totp_secret(nip)
    if enrolled is None or not enrolled[1]:
        secret = new_secret()
        store.enrol_totp(nip, box.seal(secret) if box else secret, datetime.now(UTC))
        store.confirm_totp(nip, datetime.now(UTC))
    else:
        secret = box.open(enrolled[0]) if box else enrolled[0]
    with store.engine.begin() as conn:
        conn.execute(delete(totp_uses).where(totp_uses.c.nip == nip))
    return pyotp.TOTP(secret).at(when or datetime.now(UTC))


def as_person(config: Config, nip: str, store: Store | None = None,
              when: datetime | None = None) -> Acting:
    """`nip` acting with their credential; with `store`, also with a fresh TOTP code."""
    code = totp_code(store, nip, when, config.secrets_key_path) if store is not None else None
    return Acting.of(config.person(nip), code)


def totp_for(config_path: Path, nip: str, database_url: str | None = None) -> str:
    """A code for `nip` now, in the ledger of the config at `config_path`."""
    from spbe_monitor.config.loader import load_config
    from spbe_monitor.ledger import db

    config = load_config(config_path)
    engine = db.make_engine(database_url or config.database_url)
    db.upgrade(engine)
    try:
        return totp_code(Store(engine), nip, key=config.secrets_key_path)
    finally:
        engine.dispose()


def password_for(config_path: Path, nip: str, password: str) -> None:
    """Set `nip`'s password in the ledger of the config at `config_path` (as the person would
    with `spbe passwd`)."""
    from spbe_monitor.config.loader import load_config
    from spbe_monitor.identity import hash_password
    from spbe_monitor.ledger import db

    engine = db.make_engine(load_config(config_path).database_url)
    db.upgrade(engine)
    try:
        Store(engine).set_password(nip, hash_password(password), datetime.now(UTC))
    finally:
        engine.dispose()

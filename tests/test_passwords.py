"""Passwords and logins against guessing and against being locked out by a stranger
(issue 28, item 3). Before: `aaaaaaaaaaaa` and the person's own NIP were accepted as
passwords, ten requests from anywhere locked an official out of password login, and an
unknown NIP answered in 15 ms against 482 ms (no hashing: an oracle of who exists)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from spbe_monitor import identity
from spbe_monitor.config.loader import Config, load_config
from spbe_monitor.errors import BadInput
from spbe_monitor.identity import (
    MAX_FAILED_LOGINS,
    LoginRefused,
    check_password,
    hash_password,
    password_login,
)
from spbe_monitor.ledger.store import Store

TEKNIS = "199002102015032005"  # Rina Marlina
GOOD = "gunung karang berkabut pagi ini"
NOW = datetime(2026, 11, 28, 3, tzinfo=UTC)


@pytest.fixture
def config(config_dir: Path) -> Config:
    return load_config(config_dir / "spbe.yaml")


@pytest.mark.parametrize("password, reason", [
    ("aaaaaaaaaaaa", "too easy to guess"),
    ("password1234", "too easy to guess"),
    ("qwertyuiop123", "too easy to guess"),
    (TEKNIS, "your NIP or your name"),
    (f"x{TEKNIS}y", "your NIP or your name"),
    ("Rina Marlina 2026", "your NIP or your name"),
    ("rinamarlina!!", "your NIP or your name"),
    ("pendek", "at least 12 characters"),
])
def test_guessable_passwords_are_refused_with_the_reason(config: Config, password, reason):
    with pytest.raises(BadInput, match=reason):
        check_password(password, config.person(TEKNIS))


def test_a_phrase_of_unrelated_words_is_accepted(config: Config):
    check_password(GOOD, config.person(TEKNIS))


def test_a_stranger_locks_only_their_own_address_out(config: Config, store: Store):
    store.set_password(TEKNIS, hash_password(GOOD), NOW)
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(LoginRefused):
            password_login(config, store, TEKNIS, "tebakan yang salah", NOW, "10.9.9.9")
    with pytest.raises(LoginRefused) as locked:
        password_login(config, store, TEKNIS, GOOD, NOW, "10.9.9.9")
    assert locked.value.locked
    # the official at her own desk is not locked out
    assert password_login(config, store, TEKNIS, GOOD, NOW, "10.1.1.1").nip == TEKNIS
    later = NOW + timedelta(minutes=16)
    assert password_login(config, store, TEKNIS, GOOD, later, "10.9.9.9").nip == TEKNIS


def test_an_unknown_nip_costs_the_same_hashing_as_a_known_one(config: Config, store: Store,
                                                              monkeypatch: pytest.MonkeyPatch):
    store.set_password(TEKNIS, hash_password(GOOD), NOW)
    verified: list[str] = []
    real = identity._HASHER

    class Counting:
        def verify(self, stored: str, password: str) -> bool:
            verified.append(stored)
            return real.verify(stored, password)

        def hash(self, password: str) -> str:
            return real.hash(password)

    monkeypatch.setattr(identity, "_HASHER", Counting())
    for nip in (TEKNIS, "190001012000011999", "bukan-nip"):
        with pytest.raises(LoginRefused):
            password_login(config, store, nip, "tebakan yang salah", NOW, "10.9.9.9")
    assert len(verified) == 3  # one argon2 verification each, known or not

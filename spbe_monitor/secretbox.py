"""People's TOTP secrets at rest: encrypted (Fernet: AES-128-CBC with HMAC-SHA256) with a key
kept in the key folder beside the audit key, never in the database. Whoever reads the ledger
(a backup, a database administrator, a shell user once the file leaked) learns no secret and
so computes no official's code. The same key makes the digests the ledger keeps of Konsol
session ids."""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from spbe_monitor.errors import SpbeError

PREFIX = "fernet:"
@dataclass(frozen=True)
class SecretBox:
    fernet: Fernet
    raw: bytes  # the key itself: also keys the digests of session ids (`digest`)

    @classmethod
    def load_or_create(cls, path: Path) -> SecretBox:
        """The key at `path`, created (0600, in a 0700 folder) the first time it is needed."""
        if not path.exists():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another process made it first: read theirs
            else:
                with os.fdopen(fd, "wb") as f:
                    f.write(Fernet.generate_key())
        try:
            raw = path.read_bytes().strip()
            return cls(Fernet(raw), raw)
        except OSError as exc:
            raise SpbeError(f"cannot read the secrets key {path}: {exc.strerror}") from None
        except ValueError:
            raise SpbeError(f"{path}: not a secrets key (32 url-safe base64 bytes)") from None

    def digest(self, purpose: str, value: str) -> str:
        """HMAC-SHA256 of `value` under this key: what the ledger keeps of a Konsol session
        id, so a row written into the database by hand matches no cookie anyone can make."""
        return hmac.new(self.raw, f"{purpose}\n{value}".encode(), hashlib.sha256).hexdigest()

    def seal(self, secret: str) -> str:
        return PREFIX + self.fernet.encrypt(secret.encode()).decode()

    def open(self, stored: str) -> str:
        """The secret; one stored before encryption (no prefix) is returned as it is, until
        the daemon's start encrypts it (`encrypt_plain_totp`)."""
        if not stored.startswith(PREFIX):
            return stored
        try:
            return self.fernet.decrypt(stored[len(PREFIX):].encode()).decode()
        except InvalidToken:
            raise SpbeError("a TOTP secret was encrypted with another secrets key "
                            "(restore totp.key from its escrow copy)") from None


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)

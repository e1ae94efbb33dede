"""Bearer tokens tied to a person in people.yaml. Only the SHA-256 is stored; the token is
shown once, when issued."""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "spbe_"


def new_token() -> tuple[str, str]:
    """(token to hand to the person, digest to store)."""
    token = PREFIX + secrets.token_urlsafe(32)
    return token, digest(token)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()

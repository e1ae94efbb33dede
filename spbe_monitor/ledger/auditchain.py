"""The audit log as a hash chain: each entry's hash covers its content and the previous
entry's hash, so an edited or deleted entry breaks every hash after it. Pure."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

GENESIS = "0" * 64


def entry_hash(prev: str, at: datetime, actor: str, action: str, subject: str, outcome: str,
               before: str | None, after: str | None) -> str:
    fields = [prev, at.astimezone(UTC).isoformat(timespec="microseconds"), actor, action,
              subject, outcome, before or "", after or ""]
    return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()

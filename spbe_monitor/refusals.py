"""Refused credentials, counted by kind for the exporter (`spbe_auth_refusals_total`) and
its `SpbeAuthAttack` alert on bursts. A request that names nobody (no token, an unknown
one, a login form without its CSRF token) is counted here and logged at most once a
minute instead of each being written to the audit log, which made the log a flood target
(142 entries a second); refusals of a known person stay audited as well."""

from __future__ import annotations

import logging
import time
from collections import Counter

log = logging.getLogger("spbe.auth")
KINDS = ("token", "login", "totp", "csrf")
COUNTS: Counter[str] = Counter()  # this process's, since it started
_last_logged = 0.0


def refused(kind: str, client: str = "", reason: str = "", unaudited: bool = False) -> None:
    """Count one refusal; `unaudited` ones (nobody named) are also logged, once a minute."""
    global _last_logged
    COUNTS[kind] += 1
    now = time.monotonic()
    if unaudited and now - _last_logged >= 60:
        _last_logged = now
        log.warning("refused a request without a valid credential from %s (%s); %d such "
                    "refusals since start, counted in spbe_auth_refusals_total, not each "
                    "audited", client or "?", reason, COUNTS[kind])

"""TOTP (RFC 6238) for the acts of an eselon II official: declaring a disaster, approving
late maintenance, approving a DRP document. Pure: secrets, the otpauth URI, its QR code
for a terminal, and which time step a code matches (one step of clock drift either way)."""

from __future__ import annotations

import hmac
import io
from datetime import datetime, timedelta

import pyotp
import segno

ISSUER = "spbe-monitor"
DRIFT_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def otpauth_uri(secret: str, account: str) -> str:
    """What the authenticator app stores: the issuer, whose code it is, and the secret."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def qr_text(uri: str) -> str:
    """The URI as a QR code drawn with block characters, for an authenticator app to scan."""
    out = io.StringIO()
    segno.make(uri, error="m").terminal(out=out, compact=True)
    return out.getvalue()


def matched_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step `code` belongs to, within the drift allowed around `now`, or None."""
    code = code.strip()
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for offset in range(-DRIFT_STEPS, DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(current + offset), code):
            return current + offset
    return None



# Guessing is throttled per person: a code is 1 in 10^6 (3 steps accepted), so five tries,
# then a wait that doubles with every five more wrong codes in a day, keeps a stolen token
# far from an eselon II act (about twenty tries a day instead of 54 a second).
FREE_TRIES = 5
FIRST_WAIT = timedelta(minutes=15)
MEMORY = timedelta(hours=24)


def throttled_until(failures: list[datetime], now: datetime) -> datetime | None:
    """When the person may try a code again, or None if they may now. `failures` are the
    times of their wrong codes within `MEMORY` of `now`."""
    recent = sorted(t for t in failures if now - t < MEMORY)
    if len(recent) < FREE_TRIES:
        return None
    doublings = min((len(recent) - FREE_TRIES) // FREE_TRIES, 6)  # at most 16 h
    until = recent[-1] + FIRST_WAIT * (2 ** doublings)
    return until if until > now else None

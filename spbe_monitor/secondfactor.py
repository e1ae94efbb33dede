"""TOTP (RFC 6238) for the acts of an eselon II official: declaring a disaster, approving
late maintenance, approving a DRP document. Pure: secrets, the otpauth URI, its QR code
for a terminal, and which time step a code matches (one step of clock drift either way)."""

from __future__ import annotations

import hmac
import io
from datetime import datetime

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


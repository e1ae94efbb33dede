"""DNS checks: one query (name, type) against a given server; expected rcode and answers."""

from __future__ import annotations

import time
from typing import Literal

import dns.rcode
import dns.rdatatype
from pydantic import Field, field_validator

from spbe_monitor.probers.base import (
    ErrorKind,
    ProbeResult,
    ProbeSettings,
    describe,
    error_kind_of,
    failed,
)
from spbe_monitor.probers.context import ProbeContext

EXAMPLE = """\
- id: dns-portal
  kind: dns
  server: 10.10.0.53
  name: portal.serangkab.go.id
  type: A
  expected_answers: [10.10.1.30]
"""  # docs/probes.md shows it; tests/test_probe_reference.py loads it


class Config(ProbeSettings):
    kind: Literal["dns"] = "dns"
    server: str
    """The DNS server asked (an address or name)."""
    port: int = Field(default=53, ge=1, le=65535)
    """Its port."""
    name: str
    """The name looked up."""
    type: str = "A"
    """The record type (A, AAAA, MX, CNAME, TXT, NS, SOA…)."""
    expected_rcode: str = "NOERROR"
    """The response code that passes (NOERROR, NXDOMAIN…)."""
    expected_answers: tuple[str, ...] = ()
    """Answers that must all be among those returned (e.g. an address)."""

    @field_validator("type")
    @classmethod
    def _type(cls, v: str) -> str:
        try:
            dns.rdatatype.from_text(v)
        except dns.rdatatype.UnknownRdatatype:
            raise ValueError(f"unknown record type {v!r}") from None
        return v.upper()

    @field_validator("expected_rcode")
    @classmethod
    def _rcode(cls, v: str) -> str:
        try:
            dns.rcode.from_text(v)
        except dns.rcode.UnknownRcode:
            raise ValueError(f"unknown rcode {v!r}") from None
        return v.upper()


async def probe(cfg: Config, ctx: ProbeContext) -> ProbeResult:
    import dns.asyncquery  # the network half of dnspython, loaded when a check runs
    import dns.exception
    import dns.message

    started = time.perf_counter()
    query = dns.message.make_query(cfg.name, cfg.type)
    try:
        response = await dns.asyncquery.udp(query, cfg.server, port=cfg.port,
                                            timeout=cfg.timeout.total_seconds())
    except dns.exception.Timeout:
        return failed(ErrorKind.TIMEOUT, "no DNS answer in time", time.perf_counter() - started)
    except dns.exception.DNSException as exc:
        return failed(ErrorKind.PROTOCOL, describe(exc), time.perf_counter() - started)
    except OSError as exc:
        return failed(error_kind_of(exc), describe(exc), time.perf_counter() - started)
    duration = time.perf_counter() - started
    phases = {"query": duration}
    rcode = dns.rcode.to_text(response.rcode())
    if rcode != cfg.expected_rcode:
        return ProbeResult(False, duration, ErrorKind.BAD_ANSWER,
                           f"rcode {rcode}, expected {cfg.expected_rcode}", phases)
    answers = {rd.to_text().rstrip(".") for rrset in response.answer for rd in rrset}
    missing = [a for a in cfg.expected_answers if a.rstrip(".") not in answers]
    if missing:
        return ProbeResult(False, duration, ErrorKind.BAD_ANSWER,
                           f"answers {sorted(answers)} lack {missing}", phases)
    return ProbeResult(True, duration, None, f"{rcode}, {len(answers)} answers", phases,
                       {"answers": float(len(answers))})

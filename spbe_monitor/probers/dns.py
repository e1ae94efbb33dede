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


class Config(ProbeSettings):
    kind: Literal["dns"] = "dns"
    server: str
    port: int = Field(default=53, ge=1, le=65535)
    name: str
    type: str = "A"
    expected_rcode: str = "NOERROR"
    expected_answers: tuple[str, ...] = ()  # each must be among the answers

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

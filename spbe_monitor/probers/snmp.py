"""Network gear over SNMP v2c or v3 (pysnmp): sysUpTime and, for named interfaces,
ifOperStatus and 64-bit octet counters → up/down per interface and bandwidth use.
Community and USM keys come from environment variables, never from the inventory."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from spbe_monitor.probers.base import ErrorKind, ProbeResult, ProbeSettings, failed, uptime
from spbe_monitor.probers.context import ProbeContext
from spbe_monitor.probers.needs import MaybeEnvVar

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
IF_OPER = "1.3.6.1.2.1.2.2.1.8"
IF_HC_IN = "1.3.6.1.2.1.31.1.1.1.6"
IF_HC_OUT = "1.3.6.1.2.1.31.1.1.1.10"
IF_HIGH_SPEED = "1.3.6.1.2.1.31.1.1.1.15"  # Mbit/s
AUTH = {"sha": "usmHMACSHAAuthProtocol", "sha256": "usmHMAC192SHA256AuthProtocol"}

if TYPE_CHECKING:
    from pysnmp.hlapi.v3arch.asyncio import CommunityData, SnmpEngine, UsmUserData


def _api() -> Any:
    """pysnmp's asyncio API, loaded when a check runs (not to read the inventory)."""
    from pysnmp.hlapi.v3arch import asyncio as api

    return api


EXAMPLE = """\
- id: core-switch
  kind: snmp
  host: 10.10.0.2
  version: "3"
  user: monitor
  auth_protocol: sha256
  auth_key_env: SNMP_AUTH_KEY
  priv_key_env: SNMP_PRIV_KEY
  interfaces: [Gi1/0/1, Gi1/0/2]
"""  # docs/probes.md shows it; tests/test_probe_reference.py loads it


class Config(ProbeSettings):
    kind: Literal["snmp"] = "snmp"
    host: str
    """The device asked."""
    port: int = Field(default=161, ge=1, le=65535)
    """Its SNMP port."""
    version: Literal["2c", "3"] = "2c"
    """`2c` (community) or `3` (user, authPriv with AES-128)."""
    community_env: MaybeEnvVar = None
    """v2c: the environment variable holding the community string."""
    user: str | None = None
    """v3: the user name."""
    auth_protocol: Literal["sha", "sha256"] = "sha"
    """v3: `sha` or `sha256`."""
    auth_key_env: MaybeEnvVar = None
    """v3: the environment variable holding the authentication key."""
    priv_key_env: MaybeEnvVar = None
    """v3: the environment variable holding the privacy (AES) key."""
    interfaces: tuple[str, ...] = ()
    """Interfaces (ifName or ifDescr) whose status and traffic are read; one down fails the
    check."""
    utilisation_warning: float = Field(default=80, gt=0, le=100)
    """Degraded when an interface's traffic passes this percentage of its speed."""

    @model_validator(mode="after")
    def _credentials(self) -> Config:
        if self.version == "2c" and not self.community_env:
            raise ValueError("SNMP v2c needs community_env (the variable holding it)")
        if self.version == "3" and not (self.user and self.auth_key_env and self.priv_key_env):
            raise ValueError("SNMP v3 needs user, auth_key_env and priv_key_env")
        return self


class _Missing(Exception):
    pass


def _secret(name: str | None) -> str:
    value = os.environ.get(name or "")
    if not value:
        raise _Missing(f"environment variable {name} is not set")
    return value


def _auth(cfg: Config) -> CommunityData | UsmUserData:
    api = _api()
    if cfg.version == "2c":
        return api.CommunityData(_secret(cfg.community_env), mpModel=1)
    return api.UsmUserData(
        cfg.user or "", _secret(cfg.auth_key_env), _secret(cfg.priv_key_env),
        authProtocol=getattr(api, AUTH[cfg.auth_protocol]),
        privProtocol=api.usmAesCfb128Protocol)


class SnmpError(Exception):
    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _check(indication: Any, status: Any) -> None:
    if indication:
        text = str(indication)
        kind = ErrorKind.TIMEOUT if "timeout" in text.lower() else (
            ErrorKind.AUTH_FAILED if any(w in text.lower() for w in (
                "unknown user", "digest", "decryption", "authorization")) else
            ErrorKind.PROTOCOL)
        raise SnmpError(kind, f"SNMP: {text}")
    if status:
        raise SnmpError(ErrorKind.BAD_ANSWER, f"SNMP error status: {status.prettyPrint()}")


async def _indexes(engine: SnmpEngine, auth: Any, target: Any, names: tuple[str, ...]
                   ) -> dict[str, int]:
    api = _api()
    found: dict[str, int] = {}
    for column in (IF_NAME, IF_DESCR):
        async for indication, status, _idx, binds in api.walk_cmd(
                engine, auth, target, api.ContextData(),
                api.ObjectType(api.ObjectIdentity(column)),
                lexicographicMode=False):
            _check(indication, status)
            for oid, value in binds:
                label = str(value)
                if label in names and label not in found:
                    found[label] = int(oid.prettyPrint().rsplit(".", 1)[1])
        if len(found) == len(names):
            break
    return found


async def probe(cfg: Config, ctx: ProbeContext) -> ProbeResult:
    started = time.perf_counter()
    memory = ctx.remember(cfg.id)
    api = _api()
    engine = ctx.resources.setdefault("snmp_engine", api.SnmpEngine())
    try:
        auth = _auth(cfg)
        target = await api.UdpTransportTarget.create((cfg.host, cfg.port),
                                                 timeout=cfg.timeout.total_seconds() / 2,
                                                 retries=1)
        if memory.get("names") != cfg.interfaces:
            memory.update(names=cfg.interfaces,
                          index=await _indexes(engine, auth, target, cfg.interfaces))
        index: dict[str, int] = memory["index"]
        missing = [n for n in cfg.interfaces if n not in index]
        if missing:
            memory.pop("names", None)
            return failed(ErrorKind.BAD_ANSWER, f"interfaces not found: {missing}",
                          time.perf_counter() - started)
        oids = [SYS_UPTIME] + [f"{col}.{index[n]}" for n in cfg.interfaces
                               for col in (IF_OPER, IF_HC_IN, IF_HC_OUT, IF_HIGH_SPEED)]
        indication, status, _idx, binds = await api.get_cmd(
            engine, auth, target, api.ContextData(),
            *(api.ObjectType(api.ObjectIdentity(o)) for o in oids))
        _check(indication, status)
    except _Missing as exc:
        return failed(ErrorKind.ERROR, str(exc), time.perf_counter() - started)
    except SnmpError as exc:
        return failed(exc.kind, str(exc), time.perf_counter() - started)
    duration = time.perf_counter() - started
    got = [v for _, v in binds]
    now = time.monotonic()
    values: dict[str, float] = {"uptime_seconds": int(got[0]) / 100}
    down, busy = [], []
    previous = memory.get("octets", {})
    octets: dict[str, tuple[int, int]] = {}
    for i, name in enumerate(cfg.interfaces):
        oper, rx, tx, speed = got[1 + 4 * i: 5 + 4 * i]
        values[f"if_up:{name}"] = 1.0 if int(oper) == 1 else 0.0
        if int(oper) != 1:
            down.append(name)
        octets[name] = (int(rx), int(tx))
        prev = previous.get(name)
        at = memory.get("at")
        if prev and isinstance(at, float) and now > at and int(rx) >= prev[0] and \
                int(tx) >= prev[1]:
            rx_bps = (int(rx) - prev[0]) * 8 / (now - at)
            tx_bps = (int(tx) - prev[1]) * 8 / (now - at)
            values[f"net_rx_bits_per_second:{name}"] = rx_bps
            values[f"net_tx_bits_per_second:{name}"] = tx_bps
            if int(speed) > 0:
                pct = 100 * max(rx_bps, tx_bps) / (int(speed) * 1_000_000)
                values[f"bandwidth_used_percent:{name}"] = pct
                if pct >= cfg.utilisation_warning:
                    busy.append(f"{name} {pct:.0f}%")
    memory.update(octets=octets, at=now)
    if down:
        return ProbeResult(False, duration, ErrorKind.BAD_ANSWER,
                           f"interface down: {', '.join(down)}", {"snmp": duration}, values)
    return ProbeResult(True, duration, None, uptime(values["uptime_seconds"]),
                       {"snmp": duration}, values,
                       f"bandwidth {', '.join(busy)}" if busy else None)

"""A component's state read from an existing Prometheus: the newest raw sample of one series
(e.g. `probe_success{instance="…"}` from the agency's blackbox_exporter), dated by the
sample's own timestamp, so an agency keeps its probes and gains the ledger, the
regulation's figures and the reports. Non-zero is passing, zero failing. A sample already
seen, or none at all (Prometheus or the exporter silent), is not an observation: it changes
no state and is never downtime."""

from __future__ import annotations

import math
import ssl
import time
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import field_validator

from spbe_monitor.config.fields import Duration, HttpUrl, format_duration
from spbe_monitor.probers.base import (
    ErrorKind,
    ProbeResult,
    ProbeSettings,
    describe,
    error_kind_of,
)
from spbe_monitor.probers.context import ProbeContext, tls_context
from spbe_monitor.probers.needs import MaybeLocalFile

SELECTOR = r"[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})?|\{.*\}"


EXAMPLE = """\
- id: portal-blackbox
  kind: prometheus
  url: http://prometheus.kominfo.local:9090
  series: probe_success{instance="https://portal.serangkab.go.id"}
  lookback: 2m
"""  # docs/probes.md shows it; tests/test_probe_reference.py loads it


class Config(ProbeSettings):
    kind: Literal["prometheus"] = "prometheus"
    url: HttpUrl
    """The Prometheus server, e.g. `http://prometheus.kominfo.local:9090`."""
    series: str  # one series selector, e.g. probe_success{instance="https://…"}
    """One series selector, e.g. `probe_success{instance="https://…"}`: non-zero passes, zero
    fails."""
    lookback: Duration = timedelta(minutes=5)
    """A newest sample older than this is silence, not an observation (never downtime)."""
    verify_tls: bool = True
    """Verify the certificate chain and name (turning it off is explicit, never silent)."""
    ca_file: MaybeLocalFile = None
    """A CA bundle on the monitor that signs the server's certificate (an agency CA)."""

    @field_validator("series")
    @classmethod
    def _series(cls, v: str) -> str:
        import re

        if not re.fullmatch(SELECTOR, v.strip()):
            raise ValueError("expected one series selector such as "
                             "probe_success{instance=\"https://portal.example.go.id\"}")
        return v.strip()


def newest(data: Any, series: str) -> tuple[float, float] | None:
    """The newest (timestamp, value) of the query's only series; None without samples."""
    result = data.get("data", {}).get("result", []) if isinstance(data, dict) else []
    if len(result) > 1:
        raise ValueError(f"{series} matches {len(result)} series; name exactly one")
    samples = result[0].get("values", []) if result else []
    if not samples:
        return None
    at, value = samples[-1]
    return float(at), float(value)


async def probe(cfg: Config, ctx: ProbeContext) -> ProbeResult:
    import aiohttp  # loaded by the first check, not to read the config

    started = time.perf_counter()
    memory = ctx.remember(cfg.id)
    window = int(cfg.lookback.total_seconds())
    tls: ssl.SSLContext | bool = (tls_context(cfg.verify_tls, cfg.ca_file)
                                  if cfg.url.startswith("https") else False)
    try:
        async with aiohttp.ClientSession() as session, session.get(
                f"{cfg.url.rstrip('/')}/api/v1/query", params={"query": f"{cfg.series}[{window}s]"},
                ssl=tls) as response:
            data = await response.json(content_type=None)
            if response.status != 200:
                raise ValueError(f"Prometheus answered {response.status}: "
                                 f"{data.get('error', '') if isinstance(data, dict) else ''}")
        sample = newest(data, cfg.series)
    except (OSError, TimeoutError, ValueError, aiohttp.ClientError) as exc:
        return silent(f"Prometheus not read: {describe(exc)}", started, error_kind_of(exc))
    if sample is None:
        return silent(f"no sample of {cfg.series} in the last "
                      f"{format_duration(cfg.lookback)}", started, ErrorKind.BAD_ANSWER)
    at, value = sample
    observed = datetime.fromtimestamp(at, UTC)
    fresh = at > memory.get("sample_at", -math.inf)
    memory["sample_at"] = max(at, memory.get("sample_at", -math.inf))
    ok = value != 0 and not math.isnan(value)
    message = f"{cfg.series.split('{')[0] or 'series'} = {value:g}"
    return ProbeResult(ok, time.perf_counter() - started, None if ok else ErrorKind.BAD_ANSWER,
                       message, values={"sample_value": value}, observed_at=observed,
                       fresh=fresh)


def silent(message: str, started: float, kind: ErrorKind) -> ProbeResult:
    """Nothing observed: shown in the status, no change of state."""
    return ProbeResult(False, time.perf_counter() - started, kind, message, fresh=False)

"""HTML (Jinja2: autoescape, StrictUndefined), PDF (WeasyPrint) and JSON, written under the
reports folder with each file's SHA-256 recorded in the ledger."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from spbe_monitor.ledger.checkpoints import sign_if_keyed
from spbe_monitor.ledger.store import Store
from spbe_monitor.reports.charts import trend_svg
from spbe_monitor.reports.words import angka, bilangan, durasi, durasi_tepat, jam

FORMATS = ("html", "pdf", "json")


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=PackageLoader("spbe_monitor.reports", "templates"),
                      autoescape=select_autoescape(default=True), undefined=StrictUndefined,
                      keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["angka"] = angka
    env.filters["durasi"] = durasi
    env.filters["durasi_tepat"] = durasi_tepat
    env.filters["bilangan"] = bilangan
    env.filters["jam"] = jam
    env.globals["trend_svg"] = trend_svg
    return env


def html(template: str, data: dict[str, Any]) -> str:
    return environment().get_template(template).render(d=data)


def pdf(document: str) -> bytes:
    """Reproducible bytes: fontTools stamps subset fonts with the current time unless
    SOURCE_DATE_EPOCH is set (reproducible-builds.org); a fixed one makes reruns identical."""
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1704067200")  # 2024-01-01, Perbup 49's year
    from weasyprint import HTML  # heavy import: only when a PDF is asked for

    out = HTML(string=document).write_pdf()
    assert isinstance(out, bytes)
    return out


def as_json(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


@dataclass(frozen=True)
class Written:
    fmt: str
    path: Path
    sha256: str
    skipped: bool  # already filed with the same bytes


def _write_atomic(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(content)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def file_report(store: Store, kind: str, subject: str, period: str, data: dict[str, Any],
                template: str, formats: tuple[str, ...], folder: Path, now: datetime,
                partial: bool, audit_key: Path | None = None) -> list[Written]:
    """Write the asked formats; a file already filed with identical bytes is left alone.
    Every form states the audit chain's head it was built at (so a later edit of the ledger
    shows as a different head); a new filing is anchored by signing the head with
    `audit_key`."""
    name = f"{kind}_{subject}_{period}" + ("_sementara" if partial else "")
    head = store.chain_head()
    data = {**data, "rantai_audit": None if head is None else {"entri": head[0],
                                                                "hash": head[1]}}
    document = html(template, data) if {"html", "pdf"} & set(formats) else ""
    filed = {(r["format"], r["path"]): r["sha256"]
             for r in store.reports(kind, period) if r["subject"] == subject}
    out = []
    for fmt in formats:
        content = {"json": lambda: as_json(data), "html": lambda: document.encode(),
                   "pdf": lambda: pdf(document)}[fmt]()
        path = folder / period / f"{name}.{fmt}"
        digest = hashlib.sha256(content).hexdigest()
        same = path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == digest
        if same and filed.get((fmt, str(path))) == digest:
            out.append(Written(fmt, path, digest, True))
            continue
        _write_atomic(path, content)
        store.record_report(kind, subject, period, fmt, str(path), digest, now, partial)
        out.append(Written(fmt, path, digest, False))
    if audit_key is not None and not all(w.skipped for w in out):
        sign_if_keyed(audit_key, store.engine, now)
    return out

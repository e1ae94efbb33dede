"""HTML (Jinja2: autoescape, StrictUndefined), PDF (WeasyPrint) and JSON, written under the
reports folder with each file's SHA-256 recorded in the ledger."""

from __future__ import annotations

import hashlib
import json
import os
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from multiprocessing import get_context
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


_FONTS: Any = None  # one FontConfiguration per process: fonts are found and parsed once


def pdf(document: str) -> bytes:
    """Reproducible bytes: fontTools stamps subset fonts with the current time unless
    SOURCE_DATE_EPOCH is set (reproducible-builds.org); a fixed one makes reruns identical."""
    global _FONTS
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1704067200")  # 2024-01-01, Perbup 49's year
    from weasyprint import HTML  # heavy import: only when a PDF is asked for
    from weasyprint.text.fonts import FontConfiguration

    if _FONTS is None:
        _FONTS = FontConfiguration()
    out = HTML(string=document).write_pdf(font_config=_FONTS)
    assert isinstance(out, bytes)
    return out


def _warm() -> None:
    """Import WeasyPrint and find the fonts in a worker before the documents arrive."""
    global _FONTS
    from weasyprint.text.fonts import FontConfiguration

    _FONTS = FontConfiguration()


class Printer:
    """Renders PDFs on every core: WeasyPrint is single-threaded and takes ~0.4 s a form,
    so a month-end batch renders in worker processes (spawned: the daemon's threads are not
    forked). Opened before the data is read, so the workers start meanwhile."""

    def __init__(self, expected: int) -> None:
        workers = min(expected, os.cpu_count() or 1)
        self.pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn")) \
            if workers > 1 else None
        if self.pool is not None:
            for _ in range(workers):
                self.pool.submit(_warm)

    def __enter__(self) -> Printer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown()

    def __call__(self, documents: list[str]) -> list[bytes]:
        if self.pool is None or len(documents) < 2:
            return [pdf(d) for d in documents]
        # one document per task: forms differ in length, and big chunks leave a core idle
        # at the end of the batch
        return list(self.pool.map(pdf, documents))


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


@dataclass(frozen=True)
class Job:
    """One form to file: what it is, its data and template."""

    kind: str
    subject: str
    period: str
    data: dict[str, Any]
    template: str
    partial: bool


def _content(data: dict[str, Any]) -> str:
    """What a form says, apart from the audit head it was built at."""
    return json.dumps({k: v for k, v in data.items() if k != "rantai_audit"}, sort_keys=True,
                      ensure_ascii=False, default=str)


def _version_path(folder: Path, name: str, fmt: str, digest: str,
                  filed: dict[tuple[str, str], str], partial: bool) -> Path:
    """Where this content goes: a filed final file is never replaced (an official may have
    acknowledged those bytes), so new content of a final form is a new version beside it,
    `<name>.v2.<fmt>`, `.v3`…; a file already holding these bytes is reused. A provisional
    (SEMENTARA) form is replaced: it says on its face that it will change."""
    first = folder / f"{name}.{fmt}"
    if partial:
        return first
    version, path = 1, first
    while True:
        kept = filed.get((fmt, str(path)))
        if kept is None and not path.exists():
            return path  # never filed: free
        if kept == digest:
            return path  # these very bytes, filed here
        version += 1
        path = folder / f"{name}.v{version}.{fmt}"


def file_report(store: Store, kind: str, subject: str, period: str, data: dict[str, Any],
                template: str, formats: tuple[str, ...], folder: Path, now: datetime,
                partial: bool, audit_key: Path | None = None) -> list[Written]:
    """One form; see `file_reports`."""
    return file_reports(store, [Job(kind, subject, period, data, template, partial)], formats,
                        folder, now, audit_key)[0]


def file_reports(store: Store, jobs: list[Job], formats: tuple[str, ...], folder: Path,
                 now: datetime, audit_key: Path | None = None,
                 printer: Callable[[list[str]], list[bytes]] | None = None
                 ) -> list[list[Written]]:
    """Write the asked formats of each form; a file already filed with identical bytes is
    left alone. Every form states the audit chain's head it was built at (so a later edit
    of the ledger shows as a different head); new filings are anchored by signing the head
    with `audit_key`. PDFs of a batch render in parallel."""
    head = store.chain_head()
    seal = None if head is None else {"entri": head[0], "hash": head[1]}
    # data kept from an earlier filing (past retention) states the head it was filed at;
    # so does a final form whose content has not changed since it was filed (the head moved
    # for other reasons): rebuilt from what was filed, it is the same file, never a new one
    filed_data: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for kind, period in {(job.kind, job.period) for job in jobs if not job.partial}:
        filed_data[(kind, period)] = store.kept_report_data(
            kind, period, [job.subject for job in jobs if (job.kind, job.period) == (
                kind, period)])
    datas = []
    for job in jobs:
        before = filed_data.get((job.kind, job.period), {}).get(job.subject)
        if "rantai_audit" in job.data:
            datas.append(job.data)
        elif before is not None and _content(before) == _content(job.data):
            datas.append(before)
        else:
            datas.append({**job.data, "rantai_audit": seal})
    documents = [html(job.template, d) if {"html", "pdf"} & set(formats) else ""
                 for job, d in zip(jobs, datas, strict=True)]
    if "pdf" not in formats:
        rendered = [b""] * len(jobs)
    elif printer is not None:
        rendered = printer(documents)
    else:
        with Printer(len(documents)) as own:
            rendered = own(documents)
    out = []
    # what is filed already, read once per kind and period (not once per form)
    known: dict[tuple[str, str], dict[str, dict[tuple[str, str], str]]] = {}
    for key in {(job.kind, job.period) for job in jobs}:
        known[key] = defaultdict(dict)
        for r in store.reports(*key):  # in filing order: the newest filing wins
            known[key][r["subject"]][(r["format"], r["path"])] = r["sha256"]
    for job, data, document, printed in zip(jobs, datas, documents, rendered, strict=True):
        name = f"{job.kind}_{job.subject}_{job.period}" + ("_sementara" if job.partial else "")
        filed = known[(job.kind, job.period)][job.subject]
        written = []
        for fmt in formats:
            content = {"json": as_json(data) if fmt == "json" else b"",
                       "html": document.encode(), "pdf": printed}[fmt]
            digest = hashlib.sha256(content).hexdigest()
            path = _version_path(folder / job.period, name, fmt, digest, filed, job.partial)
            same = path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == digest
            if same and filed.get((fmt, str(path))) == digest:
                written.append(Written(fmt, path, digest, True))
                continue
            _write_atomic(path, content)
            store.record_report(job.kind, job.subject, job.period, fmt, str(path), digest,
                                now, job.partial)
            written.append(Written(fmt, path, digest, False))
        if not job.partial:  # renders the same bytes once retention rolled its inputs up
            store.keep_report_data(job.kind, job.subject, job.period, data, now)
        out.append(written)
    if audit_key is not None and not all(w.skipped for ws in out for w in ws):
        sign_if_keyed(audit_key, store.engine, now)
    return out

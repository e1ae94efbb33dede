"""Probe inventories (`probes/*.yaml`): each entry validated by its kind's own model, so an
unknown key or a wrong value is reported at its file and line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from spbe_monitor.config.said import said
from spbe_monitor.config.yamlmarks import Loc, Marked, YamlError, load
from spbe_monitor.probers import KINDS
from spbe_monitor.probers.base import ProbeSettings

Report = Callable[[Marked, Loc, str], None]
Sources = dict[str, tuple[Marked, Loc]]  # probe id → its file and its place in it


def load_inventory(folder: Path, report: Report, report_raw: Callable[[str], None],
                   places: set[str] | None = None, sources: Sources | None = None
                   ) -> tuple[dict[str, ProbeSettings], set[str]]:
    """The valid probes, and every id the inventories name (valid or not), so a service
    naming an invalid probe is not told the id is unknown as well. `places`: the
    locations spbe.yaml knows (this daemon's and its agents'); `sources` is given where
    each valid probe was written (file:line of its settings, for check-config)."""
    probes: dict[str, ProbeSettings] = {}
    named: set[str] = set()
    where: dict[str, str] = {}
    if not folder.is_dir():
        report_raw(f"{folder}:1: probes: folder does not exist")
        return probes, named
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        try:
            doc = load(path)
        except YamlError as exc:
            report_raw(str(exc))
            continue
        if doc.data is None:
            continue
        if not isinstance(doc.data, dict) or set(doc.data) != {"probes"} or not isinstance(
                doc.data["probes"], list):
            report(doc, (), "expected a mapping with one key, probes: a list of probes")
            continue
        for i, item in enumerate(doc.data["probes"]):
            loc: Loc = ("probes", i)
            if not isinstance(item, dict):
                report(doc, loc, "expected a mapping with id, kind and the kind's settings")
                continue
            if isinstance(item.get("id"), str):
                named.add(item["id"])
            kind = item.get("kind")
            if kind not in KINDS:
                report(doc, (*loc, "kind"), f"unknown probe kind {kind!r} (known: "
                       + ", ".join(sorted(KINDS)) + ")")
                continue
            model, _ = KINDS[kind]
            try:
                cfg = model.model_validate(item, context={"base": str(path.parent)})
            except ValidationError as exc:
                for err in exc.errors():
                    report(doc, (*loc, *err["loc"]), said(err, model))
                continue
            if places is not None and not _placed(cfg, doc, loc, places, report):
                continue
            if cfg.id in probes:
                report(doc, (*loc, "id"), f"duplicate probe id {cfg.id!r} (first in "
                       f"{where[cfg.id]})")
                continue
            probes[cfg.id] = cfg
            where[cfg.id] = doc.where((*loc, "id"))
            if sources is not None:
                sources[cfg.id] = (doc, loc)
    return probes, named


def _placed(cfg: ProbeSettings, doc: Marked, loc: Loc, places: set[str], report: Report
            ) -> bool:
    ok = True
    for j, place in enumerate(cfg.locations):
        if place not in places:
            report(doc, (*loc, "locations", j), f"unknown location {place!r} (spbe.yaml "
                   f"knows {', '.join(sorted(places))})")
            ok = False
    if len(set(cfg.locations)) != len(cfg.locations):
        report(doc, (*loc, "locations"), "a location is listed twice")
        ok = False
    if cfg.quorum is not None and cfg.quorum > max(1, len(cfg.locations)):
        report(doc, (*loc, "quorum"), f"quorum {cfg.quorum} but the probe is observed from "
               f"{max(1, len(cfg.locations))} location(s)")
        ok = False
    return ok

"""Playbooks (`drp_playbooks/*.yaml`), strict, every error at `file:line`. The four
declaration steps of Tabel 4.4 are built in; a playbook may add checklists and stricter
gates to them, never weaker ones. Steps of a phase run in parallel unless `needs` orders
them; a cycle is an error."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from spbe_monitor.config.loader import Config
from spbe_monitor.config.said import said
from spbe_monitor.config.yamlmarks import Loc, Marked, YamlError, parse
from spbe_monitor.drp.steps import KINDS
from spbe_monitor.drp.steps.base import Ident, Mode, StepSettings
from spbe_monitor.drp.steps.wait_healthy import Config as WaitHealthy
from spbe_monitor.drp.steps.wait_healthy import site_probes
from spbe_monitor.errors import BadInput, ConfigError, NotFound
from spbe_monitor.regulation.classification import Classification
from spbe_monitor.regulation.disaster import DECLARATION, DeclarationStep
from spbe_monitor.regulation.eselon import Eselon
from spbe_monitor.regulation.roles import Role

PLAYBOOK_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")


class Gate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    checklist: tuple[str, ...] = ()
    min_eselon: Eselon | None = None  # may only be stricter than Tabel 4.4
    roles: tuple[Role, ...] = ()


class Declaration(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    assess_facility: Gate = Field(default=Gate(), alias="assess-facility")
    assess_devices: Gate = Field(default=Gate(), alias="assess-devices")
    analyse: Gate = Gate()
    declare: Gate = Gate()


class Head(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Ident
    version: int | str
    services: tuple[Ident, ...] = Field(min_length=1)
    allow_starter_declaration: bool = False
    webhooks: tuple[str, ...] = ()  # told of every phase change …
    emails: tuple[str, ...] = ()  # … and these addresses (SMTP from reports.email)
    declaration: Declaration = Declaration()
    recovery: list[dict[str, Any]] = Field(min_length=1)
    normalisation: list[dict[str, Any]] = []


@dataclass(frozen=True)
class GateSpec:
    step: DeclarationStep
    gate: Gate

    @property
    def min_eselon(self) -> Eselon:
        return self.gate.min_eselon or self.step.min_eselon


@dataclass(frozen=True)
class Playbook:
    path: Path
    sha256: str
    text: str  # the exact contents, kept with each run so it needs no file to carry on
    head: Head
    gates: tuple[GateSpec, ...]
    steps: dict[str, tuple[str, StepSettings]]  # id → (phase, settings), recovery first

    @property
    def id(self) -> str:
        return self.head.id

    def phase_steps(self, phase: str) -> list[StepSettings]:
        return [s for p, s in self.steps.values() if p == phase]


def _steps(doc: Marked, phase: str, items: list[dict[str, Any]], report: Any
           ) -> list[StepSettings]:
    out = []
    for i, item in enumerate(items):
        loc: Loc = (phase, i)
        kind = item.get("kind") if isinstance(item, dict) else None
        if kind not in KINDS:
            report(doc, (*loc, "kind"), f"unknown step kind {kind!r} (known: "
                   + ", ".join(sorted(KINDS)) + ")")
            continue
        try:
            out.append(KINDS[kind][0].model_validate(item))
        except ValidationError as exc:
            for err in exc.errors():
                report(doc, (*loc, *err["loc"]), said(err, KINDS[kind][0]))
    return out


def load_playbook(path: Path, config: Config) -> Playbook:
    """Read and check one playbook against the configuration (services, probes)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError([f"{path}:1: cannot read file: {exc.strerror}"]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError([f"{path}:1: not UTF-8 text"]) from None
    return playbook_from_text(text, path, config)


def playbook_from_text(text: str, path: Path, config: Config) -> Playbook:
    """Check a playbook's contents, read from `path` or kept in the ledger with a run."""
    errors: list[str] = []

    def report(doc: Marked, loc: Loc, message: str) -> None:
        errors.append(f"{doc.where(loc)}: {'.'.join(map(str, loc)) or '(document)'}: "
                      f"{message}")

    try:
        doc = parse(text, path)
    except YamlError as exc:
        raise ConfigError([str(exc)]) from None
    try:
        head = Head.model_validate(doc.data or {})
    except ValidationError as exc:
        for err in exc.errors():
            report(doc, tuple(err["loc"]), said(err, Head))
        raise ConfigError(errors) from None
    for i, sid in enumerate(head.services):
        if sid not in config.services:
            report(doc, ("services", i), f"unknown service {sid!r}")
    gates = []
    for step in DECLARATION:
        gate = getattr(head.declaration, step.id.replace("-", "_"))
        if gate.min_eselon is not None and gate.min_eselon.rank > step.min_eselon.rank:
            report(doc, ("declaration", step.id, "min_eselon"),
                   f"cannot weaken the gate: Tabel 4.4 requires eselon {step.min_eselon} or "
                   "higher")
        gates.append(GateSpec(step, gate))
    steps: dict[str, tuple[str, StepSettings]] = {}
    builtin = {s.id for s in DECLARATION}
    for phase in ("recovery", "normalisation"):
        phase_steps = _steps(doc, phase, getattr(head, phase), report)
        ids = {s.id for s in phase_steps}
        graph = {}
        for i, s in enumerate(phase_steps):
            if s.id in steps or s.id in builtin:
                report(doc, (phase, i, "id"), f"duplicate step id {s.id!r}")
            steps[s.id] = (phase, s)
            for j, need in enumerate(s.needs):
                if need not in ids:
                    report(doc, (phase, i, "needs", j),
                           f"{need!r} is not a step of the {phase} phase")
            graph[s.id] = {n for n in s.needs if n in ids}
            if isinstance(s, WaitHealthy):
                for j, sid in enumerate(s.services):
                    if sid not in head.services:
                        report(doc, (phase, i, "services", j),
                               f"{sid!r} is not one of the playbook's services")
                    elif not site_probes(config, sid, s.site):
                        report(doc, (phase, i, "services", j),
                               f"{sid!r} has no probe labelled site: {s.site} among its "
                               "components: this step could never pass (add one to probes/ "
                               "and to the service's components)")
            service = getattr(s, "service", None)
            if service is not None and service not in head.services:
                report(doc, (phase, i, "service"),
                       f"{service!r} is not one of the playbook's services")
        try:
            tuple(TopologicalSorter(graph).static_order())
        except CycleError as exc:
            cycle = " → ".join(exc.args[1])
            first = next(i for i, s in enumerate(phase_steps) if s.id == exc.args[1][0])
            report(doc, (phase, first, "needs"), f"cycle in needs: {cycle}")
    _measures_rto(doc, head, config, [s for p, s in steps.values() if p == "recovery"], report)
    if errors:
        raise ConfigError(errors)
    return Playbook(path, hashlib.sha256(text.encode("utf-8")).hexdigest(), text, head,
                    tuple(gates), steps)


def _measures_rto(doc: Marked, head: Head, config: Config, recovery: list[StepSettings],
                  report: Any) -> None:
    """A Kritis service's recovery must end by seeing it work at the secondary site: without
    that moment its RTO cannot be measured, so the playbook is refused before anyone signs."""
    needed = {n for s in recovery for n in s.needs}
    ending = {sid for s in recovery if isinstance(s, WaitHealthy) and s.site == "secondary"
              and s.id not in needed for sid in s.services}
    for i, sid in enumerate(head.services):
        svc = config.services.get(sid)
        if svc is not None and svc.klass is Classification.KRITIS and sid not in ending:
            report(doc, ("services", i), f"{sid!r} is Kritis: the recovery phase must end with "
                   "a wait_healthy step on its probes labelled site: secondary (no recovery "
                   "step after it), or its RTO is never measured")


def check_playbook_id(name: str) -> None:
    if not isinstance(name, str) or not PLAYBOOK_ID.fullmatch(name):
        raise BadInput("a playbook is named by its id (lower-case letters, digits, '.', "
                       "'_', '-'; at most 64), as in the playbooks folder")


def find_playbook(config: Config, name: str) -> Path:
    """The playbook with this id in the configured folder, and only there: whoever may
    ask for one (API, Konsol, CLI) names an id, never a path, so no request makes the
    daemon read or run a file outside the folder its administrators keep. The answer is
    the same whether or not anything else exists on the machine."""
    check_playbook_id(name)
    folder = config.playbooks_dir.resolve()
    for ext in (".yaml", ".yml"):
        candidate = folder / f"{name}{ext}"
        try:
            if candidate.is_file() and candidate.resolve().parent == folder:
                return candidate
        except OSError:
            continue
    raise NotFound(f"no playbook {name!r} in the playbooks folder")


def groups(playbook: Playbook, phase: str) -> list[list[StepSettings]]:
    """The order a phase runs in: each group's steps run in parallel."""
    steps = {s.id: s for s in playbook.phase_steps(phase)}
    sorter = TopologicalSorter({sid: set(s.needs) for sid, s in steps.items()})
    sorter.prepare()
    out = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        out.append([steps[sid] for sid in ready])
        sorter.done(*ready)
    return out


def skipped_in(mode: str, step: StepSettings) -> bool:
    return (mode == "drill" and step.mode is Mode.DISASTER_ONLY) or (
        mode == "disaster" and step.mode is Mode.DRILL_ONLY)


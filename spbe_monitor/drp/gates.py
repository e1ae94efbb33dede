"""Who may complete which step. Pure: the person's roles, eselon and services against the
step's gate. Tabel 4.4: assessments and analysis by eselon III or higher; the declaration by
an eselon II (or higher) Penyedia Layanan of a covered service, never the run's starter
unless the playbook allows it for a small agency."""

from __future__ import annotations

from collections.abc import Collection

from spbe_monitor.drp.playbook import Playbook
from spbe_monitor.drp.steps.person import Approval
from spbe_monitor.regulation.eselon import Eselon, at_least
from spbe_monitor.regulation.roles import Role

OPERATORS = {Role.PENGELOLA_TEKNIS, Role.KOORDINATOR_PEMULIHAN, Role.KOORDINATOR_LAYANAN,
             Role.PENYEDIA_LAYANAN}


def _held(eselon: Eselon | None) -> str:
    return f"eselon {eselon}" if eselon else "no eselon"


def _covers(playbook: Playbook, services: Collection[str]) -> bool:
    return bool(set(playbook.head.services) & set(services))


def coordinator_refusal(playbook: Playbook, act: str, roles: Collection[Role],
                        eselon: Eselon | None, services: Collection[str],
                        min_eselon: Eselon | None) -> str | None:
    """Starting a run (a disaster: eselon III+), aborting it and deciding on an in-doubt or
    failed step belong to a Koordinator Pemulihan of a service the playbook recovers."""
    if Role.KOORDINATOR_PEMULIHAN not in roles:
        return f"{act} is for a Koordinator Pemulihan"
    if not _covers(playbook, services):
        return (f"{act}: not a Koordinator Pemulihan of a service this playbook recovers ("
                + ", ".join(playbook.head.services) + ")")
    if min_eselon is not None and not at_least(eselon, min_eselon):
        return f"{act} needs eselon {min_eselon} or higher ({_held(eselon)})"
    return None


def document_refusal(playbook: Playbook, roles: Collection[Role], eselon: Eselon | None,
                     services: Collection[str]) -> str | None:
    """Approving a DRP document belongs to a Penyedia Layanan, eselon II or higher, of a
    service the playbook recovers."""
    if Role.PENYEDIA_LAYANAN not in roles or not at_least(eselon, Eselon.II):
        return "a DRP document is approved by a Penyedia Layanan, eselon II or higher"
    if not _covers(playbook, services):
        return "not a Penyedia Layanan of a service this playbook recovers"
    return None


def refusal(playbook: Playbook, step_id: str, nip: str, roles: Collection[Role],
            eselon: Eselon | None, services: Collection[str], starter: str) -> str | None:
    """Why this person may not complete this step, or None."""
    gate = next((g for g in playbook.gates if g.step.id == step_id), None)
    if gate is not None:
        if not at_least(eselon, gate.min_eselon):
            return (f"{step_id} needs eselon {gate.min_eselon} or higher ({_held(eselon)})")
        if gate.gate.roles and not set(gate.gate.roles) & set(roles):
            return f"{step_id} needs one of the roles {', '.join(gate.gate.roles)}"
        if step_id == "declare":
            if Role.PENYEDIA_LAYANAN not in roles:
                return "the disaster is declared by a Penyedia Layanan"
            if not _covers(playbook, services):
                return "not a Penyedia Layanan of a service this playbook recovers"
            if nip == starter and not playbook.head.allow_starter_declaration:
                return ("the person who started the run may not declare the disaster "
                        "(allow_starter_declaration is not set)")
        elif not _covers(playbook, services):
            return f"{step_id}: not responsible for a service this playbook recovers"
        return None
    phase_step = playbook.steps.get(step_id)
    if phase_step is None:
        return f"no step {step_id!r}"
    step = phase_step[1]
    if isinstance(step, Approval):
        if not at_least(eselon, step.min_eselon):
            return f"{step_id} needs eselon {step.min_eselon} or higher ({_held(eselon)})"
        if step.roles and not set(step.roles) & set(roles):
            return f"{step_id} needs one of the roles {', '.join(step.roles)}"
        if not _covers(playbook, services):
            return f"{step_id}: not responsible for a service this playbook recovers"
        return None
    if step.kind != "manual":
        return f"{step_id} is a {step.kind} step: the runner performs it"
    if not OPERATORS & set(roles):
        return "manual steps are confirmed by the recovery team (Pengelola Teknis, " \
               "Koordinator Pemulihan, Koordinator Layanan or Penyedia Layanan)"
    if not _covers(playbook, services):
        return f"{step_id}: not responsible for a service this playbook recovers"
    return None


def signing_eselon(playbook: Playbook, step_id: str) -> Eselon | None:
    """The eselon a gate or an approval step asks of its signer (None for other steps):
    eselon II signatures also need the signer's second factor."""
    gate = next((g for g in playbook.gates if g.step.id == step_id), None)
    if gate is not None:
        return gate.min_eselon
    phase_step = playbook.steps.get(step_id)
    if phase_step is not None and isinstance(phase_step[1], Approval):
        return phase_step[1].min_eselon
    return None

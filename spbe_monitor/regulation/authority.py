"""Who may sign what. Pure: takes a person's roles, eselon and services, returns a verdict."""

from __future__ import annotations

from collections.abc import Collection

from spbe_monitor.regulation.eselon import Eselon, at_least
from spbe_monitor.regulation.roles import Role


def maintenance_approval(
    roles: Collection[Role],
    eselon: Eselon | None,
    answers_for: Collection[str],
    window_services: Collection[str],
) -> tuple[list[str], str | None]:
    """Services of the window this person may approve late maintenance for, or a refusal.

    Decision (REGULATION.md §3): maintenance registered after it started excuses nothing
    until a Penyedia Layanan of that service, eselon II or higher, approves it.
    """
    if Role.PENYEDIA_LAYANAN not in roles:
        return [], "only a Penyedia Layanan may approve maintenance"
    if not at_least(eselon, Eselon.II):
        held = f"eselon {eselon}" if eselon else "no eselon"
        return [], f"approval needs eselon II or higher ({held})"
    allowed = [s for s in window_services if s in answers_for]
    if not allowed:
        return [], ("not a Penyedia Layanan of any service in this window ("
                    + ", ".join(sorted(window_services)) + ")")
    return allowed, None


REGISTERS_MAINTENANCE = {Role.PENGELOLA_TEKNIS, Role.KOORDINATOR_LAYANAN, Role.PENYEDIA_LAYANAN}


def maintenance_change(
    roles: Collection[Role], answers_for: Collection[str], window_services: Collection[str]
) -> str | None:
    """Why this person may not register or cancel maintenance of these services (None: may).

    Maintenance is planned by the technical team, the Koordinator Layanan or the Penyedia
    Layanan, and only for the services they answer for.
    """
    if not REGISTERS_MAINTENANCE.intersection(roles):
        return "maintenance is registered by a Pengelola Teknis, Koordinator Layanan or " \
               "Penyedia Layanan"
    foreign = sorted(set(window_services) - set(answers_for))
    if foreign:
        return f"not responsible for {', '.join(foreign)}"
    return None


def admin_refusal(os_user: str, admins: Collection[str]) -> str | None:
    """Why this OS user may not mint or revoke a person's token (None: may). Tokens carry a
    person's authority, so only the administrators named in spbe.yaml hand them out."""
    if os_user not in admins:
        return (f"OS user {os_user!r} is not an administrator: only the admins listed in "
                "spbe.yaml mint or revoke tokens")
    return None

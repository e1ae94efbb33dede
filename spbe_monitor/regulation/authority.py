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
# the helpdesk takes the users' reports of outages no probe saw
RECORDS_DOWNTIME = REGISTERS_MAINTENANCE | {Role.PENGELOLA_LAYANAN}


def _scoped(allowed: set[Role], who: str, roles: Collection[Role],
            answers_for: Collection[str], services: Collection[str]) -> str | None:
    if not allowed.intersection(roles):
        return who
    foreign = sorted(set(services) - set(answers_for))
    if foreign:
        return f"not responsible for {', '.join(foreign)}"
    return None


def maintenance_change(
    roles: Collection[Role], answers_for: Collection[str], window_services: Collection[str]
) -> str | None:
    """Why this person may not register or cancel maintenance of these services (None: may).

    Maintenance is planned by the technical team, the Koordinator Layanan or the Penyedia
    Layanan, and only for the services they answer for.
    """
    return _scoped(REGISTERS_MAINTENANCE, "maintenance is registered by a Pengelola Teknis, "
                   "Koordinator Layanan or Penyedia Layanan", roles, answers_for,
                   window_services)


def downtime_change(
    roles: Collection[Role], answers_for: Collection[str], services: Collection[str]
) -> str | None:
    """Why this person may not enter or annotate downtime of these services (None: may):
    the service's own team, its helpdesk included, and only for services they answer for."""
    return _scoped(RECORDS_DOWNTIME, "downtime is entered by a Pengelola Teknis, Pengelola "
                   "Layanan, Koordinator Layanan or Penyedia Layanan", roles, answers_for,
                   services)


def site_switch(roles: Collection[Role], answers_for: Collection[str], service: str
                ) -> str | None:
    """Why this person may not say which site serves a service (None: may). A failover done
    outside a DRP run is the Koordinator Pemulihan's to record, for the services they answer
    for: it decides which probes judge the service's availability."""
    return _scoped({Role.KOORDINATOR_PEMULIHAN}, "the serving site is switched by a "
                   "Koordinator Pemulihan", roles, answers_for, [service])


def admin_refusal(os_user: str, admins: Collection[str]) -> str | None:
    """Why this OS user may not mint or revoke a person's token (None: may). Tokens carry a
    person's authority, so only the administrators named in spbe.yaml hand them out."""
    if os_user not in admins:
        return (f"OS user {os_user!r} is not an administrator: only the admins listed in "
                "spbe.yaml mint or revoke tokens")
    return None

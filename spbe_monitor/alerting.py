"""Alertmanager's configuration from people.yaml, so alerts reach the people who answer for
each service: one route per service (and a default for the daemon's own alerts), split by
severity — `critical` to everyone of the service by e-mail and Telegram, `warning` to its
Pengelola Teknis and Koordinator Layanan, a service down outside its operating hours to its
Pengelola Teknis alone — grouped per service, a service down inhibiting
its components' alerts. Maintenance is already quiet in the rules themselves
(`spbe_service_in_maintenance`). Messages use the Indonesian templates in
deploy/alertmanager/spbe.tmpl. `spbe alert-routes` writes the result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spbe_monitor.config.loader import Config
from spbe_monitor.config.models import Person
from spbe_monitor.regulation.roles import Role

WARNED = {Role.PENGELOLA_TEKNIS, Role.KOORDINATOR_LAYANAN}
DEFAULT = "spbe-pengelola-teknis"
OUTSIDE_HOURS = "SpbeServiceDownOutsideHours"  # a down service nobody is committed to now


@dataclass(frozen=True)
class Delivery:
    """How Alertmanager sends: its template files, and the Telegram bot's token — read by
    Alertmanager from a file (0.26 and later), or written into the config for older ones
    (Debian 12 ships 0.25), which then must be readable by Alertmanager alone."""

    templates: str = "/etc/prometheus/alertmanager_templates/spbe.tmpl"
    telegram_token_file: str | None = None
    telegram_token: str | None = None
    telegram_api_url: str | None = None  # default: Telegram's own
    smtp_password_file: str | None = None  # for reports.email.username


def _email(people: list[Person], config: Config) -> list[dict[str, Any]]:
    addresses = sorted({p.email for p in people if p.email})
    if not addresses or config.settings.reports.email is None:
        return []
    return [{"to": ", ".join(addresses), "send_resolved": True,
             "headers": {"Subject": '{{ template "spbe.subjek" . }}'},
             "html": '{{ template "spbe.surel.html" . }}',
             "text": '{{ template "spbe.surel.teks" . }}'}]


def _telegram(people: list[Person], delivery: Delivery) -> list[dict[str, Any]]:
    token: dict[str, str] = {}
    if delivery.telegram_token_file:
        token = {"bot_token_file": delivery.telegram_token_file}
    elif delivery.telegram_token:
        token = {"bot_token": delivery.telegram_token}
    if not token:
        return []
    api = {"api_url": delivery.telegram_api_url} if delivery.telegram_api_url else {}
    return [{**api, **token, "chat_id": p.telegram_chat_id, "parse_mode": "HTML",
             "send_resolved": True, "message": '{{ template "spbe.telegram" . }}'}
            for p in sorted(people, key=lambda p: p.nip) if p.telegram_chat_id is not None]


def _receiver(name: str, people: list[Person], config: Config, delivery: Delivery
              ) -> dict[str, Any]:
    receiver: dict[str, Any] = {"name": name}
    email, telegram = _email(people, config), _telegram(people, delivery)
    if email:
        receiver["email_configs"] = email
    if telegram:
        receiver["telegram_configs"] = telegram
    return receiver


def alertmanager_config(config: Config, delivery: Delivery) -> dict[str, Any]:
    """alertmanager.yml as data."""
    people = list(config.people.values())
    receivers = [_receiver(DEFAULT, [p for p in people if Role.PENGELOLA_TEKNIS in p.roles],
                           config, delivery)]
    routes = []
    for sid in config.services:
        mine = [p for p in people if sid in p.services]
        receivers.append(_receiver(f"layanan-{sid}-kritis", mine, config, delivery))
        receivers.append(_receiver(f"layanan-{sid}", [p for p in mine if WARNED & set(p.roles)],
                                   config, delivery))
        receivers.append(_receiver(f"layanan-{sid}-teknis",
                                   [p for p in mine if Role.PENGELOLA_TEKNIS in p.roles],
                                   config, delivery))
        routes.append({"matchers": [f'service="{sid}"'], "receiver": f"layanan-{sid}",
                       "routes": [{"matchers": ['severity="critical"'],
                                   "receiver": f"layanan-{sid}-kritis"},
                                  {"matchers": [f'alertname="{OUTSIDE_HOURS}"'],
                                   "receiver": f"layanan-{sid}-teknis"}]})
    out: dict[str, Any] = {}
    email = config.settings.reports.email
    if email is not None:
        out["global"] = {"smtp_smarthost": f"{email.host}:{email.port}",
                         "smtp_from": email.sender, "smtp_require_tls": email.starttls}
        if email.username:
            out["global"]["smtp_auth_username"] = email.username
            out["global"]["smtp_auth_password_file"] = (
                delivery.smtp_password_file or "/etc/prometheus/alertmanager-smtp-password")
    out["templates"] = [delivery.templates]
    out["route"] = {"receiver": DEFAULT, "group_by": ["alertname", "service"],
                    "group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h",
                    "routes": routes}
    out["inhibit_rules"] = [
        {"source_matchers": [f'alertname=~"SpbeServiceDown|{OUTSIDE_HOURS}"'],
         "target_matchers": ['alertname=~"SpbeComponentDown|SpbeAvailabilityTargetAtRisk"'],
         "equal": ["service"]},
        {"source_matchers": ['alertname="SpbeMonitorNotObserving"'],
         "target_matchers": [f'alertname=~"SpbeServiceDown|{OUTSIDE_HOURS}|SpbeComponentDown|'
                             'SpbeProbeSilent"']}]
    out["receivers"] = receivers
    return out

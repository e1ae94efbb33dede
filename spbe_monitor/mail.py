"""Sending e-mail through the configured SMTP server (reports.email in spbe.yaml)."""

from __future__ import annotations

import os
import smtplib
from email.message import EmailMessage

from spbe_monitor.config.models import Email


def send_mail(settings: Email, to: list[str], subject: str, body: str,
              attachment: tuple[str, bytes, str, str] | None = None) -> None:
    """`attachment` is (filename, bytes, maintype, subtype). Raises OSError/SMTPException."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = settings.sender
    msg["To"] = ", ".join(to)
    msg.set_content(body)
    if attachment is not None:
        name, content, main, sub = attachment
        msg.add_attachment(content, maintype=main, subtype=sub, filename=name)
    password = os.environ.get(settings.password_env) if settings.password_env else None
    with smtplib.SMTP(settings.host, settings.port, timeout=30) as smtp:
        if settings.starttls:
            smtp.starttls()
        if settings.username and password:
            smtp.login(settings.username, password)
        smtp.send_message(msg)

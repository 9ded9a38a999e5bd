"""Alerts by e-mail through an SMTP server (``smtplib``: STARTTLS and login when configured)."""

from __future__ import annotations

import json
import smtplib
from email.message import EmailMessage

from sundial.alerts.base import Alert


class EmailChannel:
    def __init__(self, *, host: str, port: int, sender: str, to: list[str],
                 user: str | None = None, password: str | None = None,
                 starttls: bool = False, timeout: float = 10.0) -> None:
        self.host, self.port, self.sender, self.to = host, port, sender, to
        self.user, self.password, self.starttls, self.timeout = user, password, starttls, timeout
        self.name = f"e-mail to {', '.join(to)} via {host}:{port}"

    def message(self, alert: Alert) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = f"[sundial] {alert.summary}"[:250]
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.to)
        details = "\n".join(f"{k}: {v if isinstance(v, str) else json.dumps(v, default=str)}"
                            for k, v in alert.data.items())
        msg.set_content(f"{alert.summary}\n\n{details}\n")
        return msg

    def send(self, alert: Alert) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(self.message(alert))

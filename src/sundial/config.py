"""Typed settings, read from the environment each time they are asked for.

Reading on demand (rather than once at import) lets a test or a CLI flag change
``SUNDIAL_HOME`` and have every later store or artifact store follow it.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """Where sundial keeps its metadata and artifacts.

    - ``SUNDIAL_HOME`` (default ``~/.sundial``): the folder for the embedded defaults.
    - ``SUNDIAL_DATABASE_URL`` (default ``sqlite:///$SUNDIAL_HOME/sundial.db``): any SQLAlchemy
      URL; PostgreSQL as ``postgresql+psycopg://user:pass@host/db``.
    - ``SUNDIAL_ARTIFACT_URI`` (default ``$SUNDIAL_HOME/artifacts``): any fsspec URL.
    - ``SUNDIAL_UI_TOKEN`` (default: generated into ``$SUNDIAL_HOME/ui-token``): the token the
      dashboard and REST API ask for on writes (and reads, off loopback).

    Alerts of the scheduler (docs/alerts.md): ``SUNDIAL_ALERT_WEBHOOK_URL``,
    ``SUNDIAL_ALERT_EMAIL_TO`` (comma-separated), ``SUNDIAL_ALERT_EMAIL_FROM``,
    ``SUNDIAL_SMTP_HOST`` / ``_PORT`` / ``_USER`` / ``_PASSWORD`` / ``_STARTTLS``,
    ``SUNDIAL_ALERT_LATENESS`` (a duration such as ``5m``), ``SUNDIAL_ALERT_TIMEOUT`` (seconds
    per attempt), ``SUNDIAL_ALERT_RETRIES``, ``SUNDIAL_ALERT_BACKOFF`` (seconds, doubled).
    """

    home: Path
    database_url: str
    artifact_uri: str
    alert_webhook_url: str | None = None
    alert_email_to: tuple[str, ...] = ()
    alert_email_from: str = field(default_factory=lambda: f"sundial@{socket.gethostname()}")
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = False
    alert_lateness: float = 300.0  # seconds a tick may be overdue before it is reported
    alert_timeout: float = 10.0
    alert_retries: int = 3
    alert_backoff: float = 1.0
    ui_token: str | None = field(default=None, repr=False)  # a secret: never printed

    @classmethod
    def from_env(cls) -> Settings:
        home = Path(os.environ.get("SUNDIAL_HOME") or Path.home() / ".sundial").expanduser()
        database_url = os.environ.get("SUNDIAL_DATABASE_URL") or f"sqlite:///{home / 'sundial.db'}"
        artifact_uri = os.environ.get("SUNDIAL_ARTIFACT_URI") or str(home / "artifacts")
        return cls(home=home, database_url=normalize_database_url(database_url),
                   artifact_uri=artifact_uri,
                   ui_token=os.environ.get("SUNDIAL_UI_TOKEN") or None,
                   **_alert_settings(os.environ))  # type: ignore[arg-type]


def _alert_settings(env: os._Environ[str] | dict[str, str]) -> dict[str, object]:
    """The alert fields given in ``env``; each bad value is refused naming its variable."""
    from sundial.durations import parse_duration
    from sundial.errors import SundialError

    def number(name: str, kind: type[int] | type[float]) -> int | float | None:
        raw = env.get(name)
        if not raw:
            return None
        try:
            value = kind(raw)
        except ValueError:
            raise SundialError(f"{name}={raw!r} is not a number",
                               f"set {name} to a {kind.__name__}, e.g. 3") from None
        if value < 0:
            raise SundialError(f"{name}={raw!r} is negative", f"set {name} to 0 or more")
        return value

    out: dict[str, object] = {}
    url = env.get("SUNDIAL_ALERT_WEBHOOK_URL")
    if url:
        if not url.startswith(("http://", "https://")):
            raise SundialError(f"SUNDIAL_ALERT_WEBHOOK_URL={url!r} is not an http(s) URL",
                               "set it to e.g. https://hooks.example.com/sundial")
        out["alert_webhook_url"] = url
    if env.get("SUNDIAL_ALERT_EMAIL_TO"):
        out["alert_email_to"] = tuple(a.strip() for a in env["SUNDIAL_ALERT_EMAIL_TO"]
                                      .split(",") if a.strip())
    for key in ("alert_email_from", "smtp_host", "smtp_user", "smtp_password"):
        if env.get(f"SUNDIAL_{key.upper()}"):
            out[key] = env[f"SUNDIAL_{key.upper()}"]
    if env.get("SUNDIAL_SMTP_STARTTLS"):
        out["smtp_starttls"] = env["SUNDIAL_SMTP_STARTTLS"].lower() in ("1", "true", "yes")
    if env.get("SUNDIAL_ALERT_LATENESS"):
        late = parse_duration(env["SUNDIAL_ALERT_LATENESS"], what="SUNDIAL_ALERT_LATENESS")
        if late.total_seconds() < 0:
            raise SundialError(f"SUNDIAL_ALERT_LATENESS={env['SUNDIAL_ALERT_LATENESS']!r} is "
                               "negative", "set it to a duration such as 5m")
        out["alert_lateness"] = late.total_seconds()
    for key, kind in (("smtp_port", int), ("alert_timeout", float), ("alert_retries", int),
                      ("alert_backoff", float)):
        value = number(f"SUNDIAL_{key.upper()}", kind)
        if value is not None:
            out[key] = value
    return out


def normalize_database_url(url: str) -> str:
    """Point plain ``postgresql://`` URLs at psycopg 3, the driver sundial ships with."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url

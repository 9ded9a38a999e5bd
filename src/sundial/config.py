"""Typed settings, read from the environment and the config files each time they are asked for.

Reading on demand (rather than once at import) lets a test or a CLI flag change
``SUNDIAL_HOME`` and have every later store or artifact store follow it.

Where a setting comes from, the first found wins:

1. the environment (``SUNDIAL_DATABASE_URL``, ``SUNDIAL_AIRFLOW_DAGS_FOLDER`` ...);
2. ``sundial.toml`` in the project: the working directory or the nearest parent that has one;
3. ``$SUNDIAL_HOME/config.toml``;
4. the built-in default.

Both files have the same shape: sundial's own settings at the top level, named as their
environment variables without ``SUNDIAL_`` and in lower case (``database_url``,
``alert_webhook_url`` ...), and one table per orchestrator backend::

    database_url = "postgresql://sundial@db/sundial"
    artifact_uri = "s3://bucket/sundial"

    [orchestrators.airflow]
    dags_folder = "/opt/airflow/dags"

``sundial config show`` prints every setting with its source, secrets masked.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sundial.errors import ConfigError
from sundial.frozen import Frozen

#: The project file, looked for in the working directory and its parents.
PROJECT_FILE = "sundial.toml"
#: The per-home file, ``$SUNDIAL_HOME/config.toml``.
HOME_FILE = "config.toml"


class Settings(Frozen):
    """Where sundial keeps its metadata and artifacts.

    - ``SUNDIAL_HOME`` (default ``~/.sundial``): the folder for the embedded defaults; also
      ``home`` in a project's ``sundial.toml``.
    - ``SUNDIAL_DATABASE_URL`` / ``database_url`` (default
      ``sqlite:///$SUNDIAL_HOME/sundial.db``): any SQLAlchemy URL; PostgreSQL as
      ``postgresql+psycopg://user:pass@host/db``.
    - ``SUNDIAL_ARTIFACT_URI`` / ``artifact_uri`` (default ``$SUNDIAL_HOME/artifacts``): any
      fsspec URL.
    - ``SUNDIAL_UI_TOKEN`` (default: generated into ``$SUNDIAL_HOME/ui-token``): the token the
      dashboard and REST API ask for on writes (and reads, off loopback).

    Alerts of the scheduler (docs/scheduler.md, Alerts): ``SUNDIAL_ALERT_WEBHOOK_URL``,
    ``SUNDIAL_ALERT_EMAIL_TO`` (comma-separated), ``SUNDIAL_ALERT_EMAIL_FROM``,
    ``SUNDIAL_SMTP_HOST`` / ``_PORT`` / ``_USER`` / ``_PASSWORD`` / ``_STARTTLS``,
    ``SUNDIAL_ALERT_LATENESS`` (a duration such as ``5m``), ``SUNDIAL_ALERT_TIMEOUT`` (seconds
    per attempt), ``SUNDIAL_ALERT_RETRIES``, ``SUNDIAL_ALERT_BACKOFF`` (seconds, doubled).
    """

    home: Path
    database_url: str
    artifact_uri: str
    alert_webhook_url: str | None
    alert_email_to: tuple[str, ...]
    alert_email_from: str
    smtp_host: str
    smtp_port: int
    smtp_user: str | None
    smtp_password: str | None
    smtp_starttls: bool
    alert_lateness: float  # seconds a tick may be overdue before it is reported
    alert_timeout: float
    alert_retries: int
    alert_backoff: float
    ui_token: str | None  # a secret: never printed

    _unshown = frozenset({"smtp_password", "ui_token"})

    def __init__(self, home: Path, database_url: str, artifact_uri: str,
                 alert_webhook_url: str | None = None, alert_email_to: tuple[str, ...] = (),
                 alert_email_from: str | None = None, smtp_host: str = "localhost",
                 smtp_port: int = 25, smtp_user: str | None = None,
                 smtp_password: str | None = None, smtp_starttls: bool = False,
                 alert_lateness: float = 300.0, alert_timeout: float = 10.0,
                 alert_retries: int = 3, alert_backoff: float = 1.0,
                 ui_token: str | None = None) -> None:
        self.__dict__.update(
            home=home, database_url=database_url, artifact_uri=artifact_uri,
            alert_webhook_url=alert_webhook_url, alert_email_to=alert_email_to,
            alert_email_from=f"sundial@{socket.gethostname()}" if alert_email_from is None
            else alert_email_from,
            smtp_host=smtp_host, smtp_port=smtp_port, smtp_user=smtp_user,
            smtp_password=smtp_password, smtp_starttls=smtp_starttls,
            alert_lateness=alert_lateness, alert_timeout=alert_timeout,
            alert_retries=alert_retries, alert_backoff=alert_backoff, ui_token=ui_token)

    @classmethod
    def from_env(cls) -> Settings:
        """The settings from the environment and the config files (the environment wins)."""
        home = Path(os.environ.get("SUNDIAL_HOME") or ConfigFiles.project_values().get("home")
                    or Path.home() / ".sundial").expanduser()
        env = environment(home)
        database_url = env.get("SUNDIAL_DATABASE_URL") or f"sqlite:///{home / 'sundial.db'}"
        artifact_uri = env.get("SUNDIAL_ARTIFACT_URI") or str(home / "artifacts")
        return cls(home=home, database_url=normalize_database_url(database_url),
                   artifact_uri=artifact_uri,
                   ui_token=env.get("SUNDIAL_UI_TOKEN") or None,
                   **_alert_settings(env))  # type: ignore[arg-type]


def environment(home: Path | None = None) -> dict[str, str]:
    """The environment as sundial reads it: ``os.environ`` over the config files' top-level
    settings, each under its variable's name (``database_url`` → ``SUNDIAL_DATABASE_URL``)."""
    env: dict[str, str] = {}
    for key, value in ConfigFiles.load(home).items():
        if isinstance(value, dict):
            continue  # a table: [orchestrators.NAME] and the like
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        env[f"SUNDIAL_{key.upper()}"] = str(value)
    env.update(os.environ)
    return env


def _alert_settings(env: Mapping[str, str]) -> dict[str, object]:
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


class ConfigFiles:
    """The two config files, merged (the project's wins). Parsed files are cached by path and
    modification time, so asking for settings often costs a ``stat``, not a parse."""

    _cache: dict[Path, tuple[float, dict[str, Any]]] = {}  # noqa: RUF012 - a process cache

    @classmethod
    def project_file(cls) -> Path | None:
        here = Path.cwd()
        for folder in (here, *here.parents):
            candidate = folder / PROJECT_FILE
            if candidate.is_file():
                return candidate
        return None

    @classmethod
    def home_file(cls, home: Path | None = None) -> Path:
        if home is None:
            home = Path(os.environ.get("SUNDIAL_HOME") or cls.project_values().get("home") or
                        Path.home() / ".sundial").expanduser()
        return home / HOME_FILE

    @classmethod
    def project_values(cls) -> dict[str, Any]:
        path = cls.project_file()
        return {} if path is None else cls._read(path)

    @classmethod
    def load(cls, home: Path | None = None) -> dict[str, Any]:
        """Both files merged, table by table; the project file's values win."""
        merged: dict[str, Any] = {}
        for path in (cls.home_file(home), cls.project_file()):
            if path is not None and path.is_file():
                _merge(merged, cls._read(path))
        return merged

    @classmethod
    def section(cls, *keys: str) -> dict[str, Any]:
        """One table of the merged files, e.g. ``section("orchestrators", "airflow")``."""
        table: Any = cls.load()
        for key in keys:
            table = table.get(key, {}) if isinstance(table, dict) else {}
        return dict(table) if isinstance(table, dict) else {}

    @classmethod
    def source_of(cls, *keys: str) -> str:
        """Which file sets ``keys`` (for messages): the project file wins."""
        for path in (cls.project_file(), cls.home_file()):
            if path is None or not path.is_file():
                continue
            table: Any = cls._read(path)
            for key in keys:
                table = table.get(key) if isinstance(table, dict) else None
            if table is not None:
                return str(path)
        return "(default)"

    @classmethod
    def _read(cls, path: Path) -> dict[str, Any]:
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return {}
        cached = cls._cache.get(path)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        import tomllib  # here, not at the top: most processes have no config file to parse

        try:
            values = tomllib.loads(path.read_text())
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
            raise ConfigError(f"cannot read the config file {path}: {err}",
                              "fix its TOML syntax, or move it away") from None
        cls._cache[path] = (mtime, values)
        return values


def _merge(into: dict[str, Any], values: dict[str, Any]) -> None:
    # Tables are copied, never shared: the parsed files stay cached unchanged.
    for key, value in values.items():
        if isinstance(value, dict):
            table = into[key] = dict(into[key]) if isinstance(into.get(key), dict) else {}
            _merge(table, value)
        else:
            into[key] = value

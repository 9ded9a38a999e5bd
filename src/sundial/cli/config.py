"""``sundial config show``: every setting, where it came from, secrets masked."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from sundial.cli.output import console, print_json

config_app = typer.Typer(help="Settings: environment, sundial.toml, $SUNDIAL_HOME/config.toml.",
                         no_args_is_help=True)


def _core_rows() -> list[dict[str, str]]:
    import os

    from sundial.config import ConfigFiles, Settings
    from sundial.orchestrators.setting_sources import mask_url

    settings = Settings.from_env()
    project = ConfigFiles.project_file()

    def source(env: str, key: str) -> str:
        if os.environ.get(env):
            return f"${env}"
        return ConfigFiles.source_of(key)

    return [
        {"name": "home", "value": str(settings.home),
         "source": "$SUNDIAL_HOME" if os.environ.get("SUNDIAL_HOME") else (
             str(project) if project and ConfigFiles.project_values().get("home")
             else "(default)"),
         "description": "the folder of the default store, artifacts and logs"},
        {"name": "database_url", "value": mask_url(settings.database_url),
         "source": source("SUNDIAL_DATABASE_URL", "database_url"),
         "description": "the metadata store (SQLAlchemy URL)"},
        {"name": "artifact_uri", "value": settings.artifact_uri,
         "source": source("SUNDIAL_ARTIFACT_URI", "artifact_uri"),
         "description": "where step outputs are written (fsspec URL)"},
        *_alert_rows(settings, source),
    ]


def _alert_rows(settings: Any, source: Any) -> list[dict[str, str]]:
    """The scheduler's alert settings (docs/scheduler.md, Alerts); the webhook's path and
    query (where services put their token), any password in it and the SMTP password
    are masked."""
    from sundial.alerts.webhook import masked_url

    hook = masked_url(settings.alert_webhook_url) if settings.alert_webhook_url else ""
    rows = [
        ("alert_webhook_url", hook or "", "alerts are POSTed here as JSON"),
        ("alert_email_to", ", ".join(settings.alert_email_to), "alerts are e-mailed to these"),
        ("alert_email_from", settings.alert_email_from, "the alerts' sender"),
        ("smtp_host", settings.smtp_host, "the SMTP server for e-mail alerts"),
        ("smtp_port", str(settings.smtp_port), "its port"),
        ("smtp_user", settings.smtp_user or "", "its login (none: no login)"),
        ("smtp_password", "***" if settings.smtp_password else "", "its password"),
        ("smtp_starttls", str(settings.smtp_starttls).lower(), "STARTTLS before login"),
        ("alert_lateness", f"{settings.alert_lateness:g}s",
         "a tick overdue by more than this is reported as late"),
        ("alert_timeout", f"{settings.alert_timeout:g}s", "per delivery attempt"),
        ("alert_retries", str(settings.alert_retries), "more attempts after a failure"),
        ("alert_backoff", f"{settings.alert_backoff:g}s", "the first wait, doubled each time"),
    ]
    return [{"name": name, "value": value, "source": source(f"SUNDIAL_{name.upper()}", name),
             "description": what} for name, value, what in rows]


def _backend_rows() -> dict[str, Any]:
    from sundial.errors import BackendNotInstalledError
    from sundial.orchestrators.registry import BACKENDS, orchestrator_class

    out: dict[str, Any] = {}
    for name in BACKENDS:
        try:
            cls = orchestrator_class(name)
        except BackendNotInstalledError as err:
            out[name] = {"error": f"not installed ({err.fix})"}
            continue
        out[name] = [row.model_dump() for row in cls.show_settings()]
    return out


@config_app.command("show")
def show(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Print sundial's settings and each orchestrator's, with the source of each value
    (environment, config file or default); passwords and secrets are masked."""
    from sundial.config import ConfigFiles

    files = {"project": str(ConfigFiles.project_file() or ""),
             "home": str(ConfigFiles.home_file())}
    core, backends = _core_rows(), _backend_rows()
    if as_json:
        print_json({"files": files, "sundial": core, "orchestrators": backends})
        return
    console.print(f"config files: project {files['project'] or '(none: no sundial.toml found)'}"
                  f"; home {files['home']}")
    table = Table("setting", "value", "source", "what it is")
    for row in core:
        table.add_row(row["name"], row["value"], row["source"], row["description"])
    for name, rows in backends.items():
        if isinstance(rows, dict):
            table.add_row(f"[{name}]", rows["error"], "", "")
            continue
        for row in rows:
            table.add_row(f"{name}.{row['name']}", row["value"], row["source"],
                          row["description"])
    console.print(table)

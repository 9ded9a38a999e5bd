"""The Typer application: one sub-app per noun, each in its own module."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer
import typer.core

from sundial.cli import (
    build,
    config,
    db,
    deploy,
    orchestrator,
    run,
    runs,
    schedule,
    schedule_lifecycle,
    scheduler,
    step,
    ui,
    up,
)

app = typer.Typer(
    name="sundial",
    help="ML pipelines in which scheduling is first-class.",
    no_args_is_help=True,
    # --install-completion / --show-completion for bash, zsh, fish and PowerShell.
    add_completion=True,
    pretty_exceptions_enable=False,
)


def _no_flag_type(original: Callable[[Any, Any], str | None]
                  ) -> Callable[[Any, Any], str | None]:
    # Typer's help shows "<bool>" beside flags such as --json, which take no value: a user
    # reads it as "--json <bool>". Flags show no type; options keep theirs.
    def display_type_rich(self: Any, ctx: Any) -> str | None:
        return None if getattr(self, "is_flag", False) else original(self, ctx)

    return display_type_rich


if hasattr(typer.core, "TyperOption") and hasattr(typer.core.TyperOption, "display_type_rich"):
    typer.core.TyperOption.display_type_rich = _no_flag_type(  # type: ignore[method-assign,assignment]
        typer.core.TyperOption.display_type_rich)


def _version(value: bool) -> None:
    if value:
        from sundial import __version__

        typer.echo(f"sundial {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="print the version and exit")
        ] = False) -> None:
    """ML pipelines in which scheduling is first-class."""
app.command("run")(run.run)
app.command("build")(build.build)
app.add_typer(scheduler.scheduler_app, name="scheduler")
app.command("up")(up.up)
app.command("ui")(ui.ui)
app.add_typer(runs.runs_app, name="runs")
app.add_typer(db.db_app, name="db")
app.add_typer(step.step_app, name="step")
app.add_typer(orchestrator.orchestrator_app, name="orchestrator")
app.command("deploy", context_settings={  # backend options: see cli/deploy.py
    "allow_extra_args": True, "ignore_unknown_options": True})(deploy.deploy)
app.add_typer(config.config_app, name="config")
app.add_typer(schedule.schedule_app, name="schedule")
# schedule_lifecycle adds its commands to schedule.schedule_app when imported.
_ = schedule_lifecycle

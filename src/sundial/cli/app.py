"""The Typer application: one sub-app per noun, each in its own module."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="sundial",
    help="ML pipelines in which scheduling is first-class.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    from sundial.cli import schedule

    app.add_typer(schedule.schedule_app, name="schedule")


_register()

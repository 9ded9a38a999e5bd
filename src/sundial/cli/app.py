"""The Typer application: one sub-app per noun, each in its own module."""

from __future__ import annotations

import typer

from sundial.cli import (
    build,
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
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("run")(run.run)
app.command("build")(build.build)
app.add_typer(scheduler.scheduler_app, name="scheduler")
app.command("up")(up.up)
app.command("ui")(ui.ui)
app.add_typer(runs.runs_app, name="runs")
app.add_typer(db.db_app, name="db")
app.add_typer(step.step_app, name="step")
app.add_typer(orchestrator.orchestrator_app, name="orchestrator")
app.add_typer(deploy.deploy_app, name="deploy")
app.add_typer(schedule.schedule_app, name="schedule")
# schedule_lifecycle adds its commands to schedule.schedule_app when imported.
_ = schedule_lifecycle

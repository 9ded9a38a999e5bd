"""``sundial step run``: run one step of a run; the entrypoint of every remote backend."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from sundial.cli.output import console

step_app = typer.Typer(help="Run single steps (used by remote orchestrators).",
                       no_args_is_help=True)


@step_app.command("run")
def run(
    step: Annotated[str, typer.Argument(help="the step's name in the pipeline")],
    run_id: Annotated[str | None, typer.Option("--run-id", help="an existing run")] = None,
    version_id: Annotated[int | None, typer.Option(
        "--version-id", help="the pipeline version, to create the run on first use")] = None,
    external_id: Annotated[str | None, typer.Option(
        "--external-id", help="the orchestrator's key for the run (e.g. an Airflow DAG run)")
    ] = None,
    params: Annotated[str, typer.Option("--params", help="pipeline parameters as JSON")] = "{}",
    nominal: Annotated[datetime | None, typer.Option(
        "--nominal", help="the run's nominal (logical) time, ISO-8601")] = None,
    orchestrator: Annotated[str, typer.Option(help="recorded on a created run")] = "external",
    schedule_id: Annotated[str | None, typer.Option(
        "--schedule-id", help="the sundial schedule whose tick this is (a native schedule)")
    ] = None,
    nominal_from_job: Annotated[str | None, typer.Option(
        "--nominal-from-job", help="the nominal time from a Kubernetes CronJob's Job name "
        "(<cronjob>-<minutes since the epoch>), when --nominal is not given")] = None,
) -> None:
    """Run one step, reading its inputs from the store; exit 1 when it fails."""
    from sundial.cli.step_core import step_command

    console.print(step_command(step, run_id=run_id, version_id=version_id,
                               external_id=external_id, params=params, nominal=nominal,
                               orchestrator=orchestrator, schedule_id=schedule_id,
                               nominal_from_job=nominal_from_job), markup=False)

"""``sundial step run``: run one step of a run; the entrypoint of every remote backend."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer

from sundial.cli.output import console
from sundial.errors import ParameterError, RunFailedError

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
    from sundial.config import Settings
    from sundial.engine.artifacts import ArtifactStore
    from sundial.engine.step_runner import ensure_run, run_step
    from sundial.store.store import Store

    settings = Settings.from_env()
    store = Store(settings.database_url)
    if not run_id:  # empty: the platform made this run itself (no run id in its conf)
        run_id = None
    if run_id is None:
        if version_id is None or external_id is None:
            raise ParameterError("sundial step run needs --run-id, or --version-id with "
                                 "--external-id", "pass --run-id RUN_ID for an existing run")
        try:
            values = json.loads(params)
        except json.JSONDecodeError as err:
            raise ParameterError(f"--params is not JSON: {err}",
                                 "pass an object, e.g. --params '{\"lr\": 0.2}'") from None
        if nominal is None and nominal_from_job:
            from sundial.orchestrators.kubernetes.manifests import nominal_from_job_name

            try:
                nominal = nominal_from_job_name(nominal_from_job)
            except ValueError as err:
                raise ParameterError(f"--nominal-from-job: {err}",
                                     "pass the name the CronJob controller gave the Job, or "
                                     "--nominal") from None
        if nominal is not None and nominal.tzinfo is None:
            raise ParameterError(f"--nominal {nominal.isoformat()} has no UTC offset",
                                 "pass an aware instant, e.g. 2026-11-23T14:05:00+00:00")
        run_id = ensure_run(store, version_id=version_id, external_id=external_id,
                            params=values, orchestrator=orchestrator, nominal_at=nominal,
                            schedule_id=schedule_id or None)
    status = run_step(store, ArtifactStore(settings.artifact_uri), run_id, step)
    console.print(f"step {step} of run {run_id}: {status}")
    if status == "failed":
        raise RunFailedError(f"step '{step}' of run {run_id} failed",
                             f"see `sundial runs logs {run_id} --step {step}`", run_id=run_id)

"""``sundial deploy airflow TARGET --dags-folder DIR``: compile a pipeline into an Airflow DAG."""

from __future__ import annotations

from typing import Annotated

import typer

from sundial.cli.output import console

deploy_app = typer.Typer(help="Deploy pipelines to an orchestrator's own scheduler.",
                         no_args_is_help=True)


@deploy_app.command("airflow")
def airflow(
    target: Annotated[str, typer.Argument(help="path/to/file.py:pipeline or module:pipeline")],
    dags_folder: Annotated[str, typer.Option("--dags-folder", help="Airflow's DAGs folder")],
    param: Annotated[list[str] | None, typer.Option(
        "--param", "-p", help="a pipeline parameter, key=value")] = None,
    cron: Annotated[str | None, typer.Option("--cron", help="cron expression")] = None,
    interval: Annotated[float | None, typer.Option("--interval", help="seconds")] = None,
    once: Annotated[str | None, typer.Option("--once", help="ISO instant")] = None,
    start: Annotated[str | None, typer.Option("--start", help="start_time, ISO")] = None,
    end: Annotated[str | None, typer.Option("--end", help="end_time, ISO")] = None,
    tz: Annotated[str | None, typer.Option("--tz", help="IANA time zone")] = None,
    catchup: Annotated[bool, typer.Option("--catchup/--no-catchup")] = False,
    overlap: Annotated[str | None, typer.Option(help="queue|skip|replace|allow")] = None,
    max_active_runs: Annotated[int | None, typer.Option(help="runs at once")] = None,
    command: Annotated[str | None, typer.Option(
        help="how tasks start sundial (default: the sundial next to this Python)")] = None,
    image: Annotated[str | None, typer.Option(
        help="run steps as KubernetesPodOperator pods of this image")] = None,
    namespace: Annotated[str, typer.Option(help="Kubernetes namespace for --image")] = "default",
    dag_id: Annotated[str | None, typer.Option(help="the DAG id (default: the pipeline)")] = None,
    paused: Annotated[bool, typer.Option("--paused", help="create the DAG paused")] = False,
) -> None:
    """Write the DAG file of a pipeline (one task per step running `sundial step run`); with
    no schedule option the DAG runs only when triggered."""
    from sundial.cli.run import parse_params
    from sundial.cli.schedule import build_schedule, parse_time
    from sundial.engine.loader import load_pipeline
    from sundial.orchestrators.airflow import deploy_airflow

    pipeline = load_pipeline(target)
    schedule = None
    if cron is not None or interval is not None or once is not None:
        schedule = build_schedule(
            cron_expression=cron, interval_second=interval,
            run_once_start_time=parse_time("--once", once),
            start_time=parse_time("--start", start), end_time=parse_time("--end", end),
            timezone=tz, catchup=catchup, overlap=overlap, max_active_runs=max_active_runs)
    path = deploy_airflow(pipeline, parse_params(param or []), schedule, dags_folder,
                          command=command, image=image, namespace=namespace, dag_id=dag_id,
                          paused=paused)
    console.print(f"Wrote {path}")

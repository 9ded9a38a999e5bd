"""``sundial deploy airflow TARGET --dags-folder DIR`` (an Airflow DAG), ``sundial deploy
github_actions TARGET --repo-dir DIR`` (a GitHub Actions workflow) and ``sundial deploy kubernetes
TARGET --image IMAGE [--dry-run]`` (a CronJob, or a Job)."""

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
    interval: Annotated[str | None, typer.Option(
        "--interval", metavar="DURATION", help="30m, 1h30m, 2d, 45s or seconds")] = None,
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
    from sundial.cli.schedule import build_schedule, parse_interval, parse_time
    from sundial.engine.loader import load_pipeline
    from sundial.orchestrators.airflow import deploy_airflow

    pipeline = load_pipeline(target)
    schedule = None
    if cron is not None or interval is not None or once is not None:
        schedule = build_schedule(
            cron_expression=cron, interval_second=parse_interval(interval),
            run_once_start_time=parse_time("--once", once),
            start_time=parse_time("--start", start), end_time=parse_time("--end", end),
            timezone=tz, catchup=catchup, overlap=overlap, max_active_runs=max_active_runs)
    path = deploy_airflow(pipeline, parse_params(param or []), schedule, dags_folder,
                          command=command, image=image, namespace=namespace, dag_id=dag_id,
                          paused=paused)
    console.print(f"Wrote {path}")


@deploy_app.command("github_actions")
def github_actions(
    target: Annotated[str, typer.Argument(help="path/to/file.py:pipeline or module:pipeline")],
    repo_dir: Annotated[str, typer.Option(
        "--repo-dir", help="the repository's checkout: the workflow goes into "
                           ".github/workflows/ there")],
    param: Annotated[list[str] | None, typer.Option(
        "--param", "-p", help="a pipeline parameter, key=value")] = None,
    cron: Annotated[str | None, typer.Option("--cron", help="cron expression")] = None,
    interval: Annotated[str | None, typer.Option(
        "--interval", metavar="DURATION", help="30m, 1h30m, 2d, 45s or seconds")] = None,
    start: Annotated[str | None, typer.Option("--start", help="start_time, ISO")] = None,
    end: Annotated[str | None, typer.Option("--end", help="end_time, ISO")] = None,
    tz: Annotated[str | None, typer.Option("--tz", help="IANA time zone")] = None,
    catchup: Annotated[bool | None, typer.Option("--catchup/--no-catchup")] = None,
    overlap: Annotated[str | None, typer.Option(help="queue|skip|replace|allow")] = None,
    max_active_runs: Annotated[int | None, typer.Option(help="runs at once")] = None,
    name: Annotated[str | None, typer.Option(
        help="the schedule's and the workflow file's name (default: the pipeline's)")] = None,
    replace: Annotated[bool, typer.Option(
        "--replace", help="overwrite a workflow file that is another schedule's")] = False,
    paused: Annotated[bool, typer.Option(
        "--paused", help="disable the workflow (needs --repository and a token)")] = False,
    repository: Annotated[str | None, typer.Option(
        help="owner/name: also commit the workflow through GitHub's API "
             "(token: SUNDIAL_GITHUB_ACTIONS_TOKEN)")] = None,
    install: Annotated[str | None, typer.Option(
        help="the shell line that installs sundial and your code on a runner")] = None,
) -> None:
    """Write .github/workflows/NAME.yml: one job per step running `sundial step run`; with a
    schedule option, also register the schedule (GitHub fires it once the file is pushed to
    the default branch). Without one, the workflow runs only when dispatched."""
    from sundial.cli.run import parse_params
    from sundial.cli.schedule import build_schedule, parse_interval, parse_time
    from sundial.engine.loader import load_pipeline
    from sundial.orchestrators.github_actions import deploy_github_actions

    pipeline = load_pipeline(target)
    schedule = None
    if cron is not None or interval is not None:
        schedule = build_schedule(
            cron_expression=cron, interval_second=parse_interval(interval),
            start_time=parse_time("--start", start), end_time=parse_time("--end", end),
            timezone=tz, catchup=catchup, overlap=overlap, max_active_runs=max_active_runs)
    options = {k: v for k, v in {"repository": repository, "install": install}.items()
               if v is not None}
    done = deploy_github_actions(pipeline, parse_params(param or []), schedule, repo_dir,
                                 name=name, replace=replace, paused=paused, options=options,
                                 language="cli")
    console.print(f"Wrote {done.path}")
    for field, what in done.default_here.items():
        console.print(f"  {field} left at its default; on GitHub Actions: {what}")
    if done.schedule:
        console.print(f"Registered schedule {done.schedule!r}: commit and push the file to the "
                      "default branch for GitHub to fire it")


@deploy_app.command("kubernetes")
def kubernetes(
    target: Annotated[str, typer.Argument(help="path/to/file.py:pipeline or module:pipeline")],
    image: Annotated[str | None, typer.Option(
        help="the pipeline's image (sundial build); default: the image setting")] = None,
    namespace: Annotated[str | None, typer.Option(help="Kubernetes namespace")] = None,
    option: Annotated[list[str] | None, typer.Option(
        "--option", "-o", help="any kubernetes setting, key=value (see sundial config show)")
    ] = None,
    param: Annotated[list[str] | None, typer.Option(
        "--param", "-p", help="a pipeline parameter, key=value")] = None,
    cron: Annotated[str | None, typer.Option("--cron", help="cron expression")] = None,
    interval: Annotated[str | None, typer.Option(
        "--interval", metavar="DURATION", help="30m, 1h30m, 2d, 45s or seconds")] = None,
    start: Annotated[str | None, typer.Option("--start", help="start_time, ISO")] = None,
    tz: Annotated[str | None, typer.Option("--tz", help="IANA time zone")] = None,
    overlap: Annotated[str | None, typer.Option(help="skip|replace|allow (queue: sundial "
                                                     "mode)")] = None,
    name: Annotated[str | None, typer.Option(help="the schedule's name")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="print the manifests as YAML (kubectl apply -f -); send nothing")
    ] = False,
) -> None:
    """A CronJob for a schedule (--cron or --interval), else a Job that runs the pipeline now;
    each run is one pod with a container per step running `sundial step run`."""
    from sundial.cli.run import parse_params
    from sundial.cli.schedule import build_schedule, parse_interval, parse_time
    from sundial.engine.loader import load_pipeline
    from sundial.errors import ParameterError

    options: dict[str, object] = {}
    for pair in option or []:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ParameterError(f"--option {pair!r} is not key=value",
                                 "write --option service_account=runner")
        options[key] = value
    if image is not None:
        options["image"] = image
    if namespace is not None:
        options["namespace"] = namespace
    pipeline = load_pipeline(target)
    params = pipeline.bind_params((), parse_params(param or []))
    schedule = None
    if cron is not None or interval is not None:
        schedule = build_schedule(cron_expression=cron, interval_second=parse_interval(interval),
                                  start_time=parse_time("--start", start), timezone=tz,
                                  overlap=overlap, name=name)
    if dry_run:
        from sundial.orchestrators.kubernetes.deploy import dry_run_manifests, to_yaml

        manifests, instead = dry_run_manifests(pipeline, params, schedule, name=name,
                                               options=options)
        typer.echo(to_yaml(manifests, instead), nl=False)
        return
    from sundial.dispatch import register, run_now

    if schedule is None:
        run = run_now(pipeline, params, orchestrator="kubernetes", options=options)
        console.print(f"Submitted run {run.id} to Kubernetes")
        return
    done = register(pipeline, params, schedule, orchestrator="kubernetes", mode="native",
                    options=options, language="cli")
    console.print(f"Created CronJob for schedule {done.info.name}")
    for field_name, what in done.default_here.items():
        console.print(f"  {field_name} left at its default; on Kubernetes: {what}")

"""``sundial deploy BACKEND TARGET [schedule flags] [backend options]``: one deploy command.

It registers a schedule for the pipeline on the backend, the way ``pipeline.with_options(
orchestrator=BACKEND, schedule=Schedule(...))()`` does: natively on the platform when the
backend has a scheduler and can honour the flags given (flags not given take the platform's
nearest behaviour, which is printed), else refused with the fix in flags; ``--sundial-mode``
keeps the schedule in sundial's scheduler and submits each run to the backend.

Backend options are the backend's settings (``orchestrators/settings.py``): ``--FIELD VALUE``
(dashes for underscores) or ``--option FIELD=VALUE``, e.g. ``--dags-folder DIR`` for Airflow;
a backend adds an option by adding a settings field, without touching this file.

A backend whose deploy does more than register a schedule (print manifests for ``kubectl
apply``, write a workflow into a checkout, deploy without a schedule) gives its package a
module ``deploy.py`` with ``cli_deploy(request: DeployRequest) -> list[str] | None``: it gets
the parsed request, with the flags that are not settings in ``request.switches`` (``--dry-run``
→ ``{"dry_run": "true"}``), and returns the lines to print (``None``: do the ordinary deploy).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sundial.cli.output import console
from sundial.cli.schedule_flags import ScheduleFlags, schedule_flags
from sundial.errors import AlreadyExistsError, ConfigError, InvalidScheduleError, NotFoundError

if TYPE_CHECKING:
    from sundial.definition.pipeline import Pipeline
    from sundial.definition.schedule import Schedule


@dataclass(frozen=True)
class DeployRequest:
    """``sundial deploy``'s arguments, parsed, for a backend's own ``cli_deploy``."""

    backend: str
    pipeline: Pipeline
    params: dict[str, Any]
    schedule: Schedule | None
    options: dict[str, Any]
    switches: dict[str, str] = dataclass_field(default_factory=dict)
    name: str | None = None
    paused: bool = False
    replace: bool = False
    create: bool = False


@schedule_flags
def deploy(
    ctx: typer.Context,
    backend: Annotated[str, typer.Argument(help="the orchestrator: airflow, kubernetes ...")],
    target: Annotated[str, typer.Argument(help="path/to/file.py:pipeline or module:pipeline")],
    *,
    flags: ScheduleFlags,
    name: Annotated[str | None, typer.Option(
        "--name", help="the schedule's name (default: <pipeline>-<timestamp>)")] = None,
    param: Annotated[list[str] | None, typer.Option(
        "--param", "-p", help="a pipeline parameter, key=value")] = None,
    option: Annotated[list[str] | None, typer.Option(
        "--option", "-o", help="a backend setting, key=value (or --key value)")] = None,
    paused: Annotated[bool, typer.Option("--paused", help="create it paused")] = False,
    replace: Annotated[bool, typer.Option(
        "--replace", help="replace an existing schedule or platform object of that name")
    ] = False,
    create: Annotated[bool, typer.Option(
        "--create", help="create a target folder (e.g. --dags-folder) that does not exist")
    ] = False,
    sundial_mode: Annotated[bool, typer.Option(
        "--sundial-mode", help="sundial's scheduler fires the ticks and submits each run to "
        "the backend")] = False,
    native: Annotated[bool, typer.Option(
        "--native", help="require the platform's own scheduler (refuse otherwise)")] = False,
) -> None:
    """Deploy a pipeline on a schedule to an orchestrator (see `sundial orchestrator list`)."""
    from sundial.cli.run import parse_params
    from sundial.dispatch import register
    from sundial.engine.loader import load_pipeline
    from sundial.orchestrators.registry import orchestrator_class

    cls = orchestrator_class(backend)
    known = set(cls.setting_fields())
    given = backend_options(backend, list(ctx.args), option or [])
    options = {k: v for k, v in given.items() if k in known or not _is_switch(v)}
    switches = {k: v for k, v in given.items() if k not in options}
    pipeline = load_pipeline(target)
    params = pipeline.bind_params((), parse_params(param or []))
    schedule = flags.schedule(**({"name": name} if name else {})) if flags.has_kind else None
    request = DeployRequest(backend=backend, pipeline=pipeline, params=params,
                            schedule=schedule, options=options, switches=switches, name=name,
                            paused=paused, replace=replace, create=create)
    lines = _backend_deploy(cls, request)
    if lines is not None:
        for line in lines:
            typer.echo(line)
        return
    if switches:
        cls.load_settings(given)  # refuses the unknown one, listing the options
    _check_folders(cls.load_settings(options), create)
    if schedule is None:
        raise InvalidScheduleError(
            "sundial deploy needs a schedule: none of --cron, --interval, --once was given",
            "pass e.g. --cron '5 14 * * 3' (or --interval 30m); to run once now, call the "
            "pipeline with .with_options(orchestrator=...)")
    if replace and schedule.name:
        _retire(schedule.name)
    try:
        made = register(pipeline, params, schedule, orchestrator=backend,
                        mode="sundial" if sundial_mode else "native" if native else None,
                        options=options, paused=paused, language="cli", replace=replace)
    except AlreadyExistsError as err:
        err.cli_fix = err.cli_fix or "pass another --name, or --replace to replace it"
        raise
    rec = made.info.record
    if made.platform_name:
        console.print(f"Note: {backend} calls it '{made.platform_name}' "
                      f"('{rec.name}' is not a valid name there).", markup=False)
    where = f"on {backend} as {rec.native_ref}" if rec.native_ref else \
        f"in sundial's scheduler, each run submitted to {backend}"
    console.print(f"Deployed schedule '{rec.name}' of pipeline {rec.pipeline} {where}.",
                  markup=False)
    for field, text in rec.default_here.items():
        console.print(f"  {field} (not given): {text}", markup=False)


def _is_switch(value: Any) -> bool:
    return bool(value == "true")


def _backend_deploy(cls: type, request: DeployRequest) -> list[str] | None:
    """The backend's own deploy (``<its package>.deploy.cli_deploy``), if it has one."""
    package = cls.__module__.rsplit(".", 1)[0] if cls.__module__.count(".") > 2 \
        else cls.__module__
    try:
        module = importlib.import_module(f"{package}.deploy")
    except ModuleNotFoundError as err:
        if err.name != f"{package}.deploy":
            raise
        return None
    hook = getattr(module, "cli_deploy", None)
    return None if hook is None else hook(request)


def backend_options(backend: str, extra: list[str], pairs: list[str]) -> dict[str, Any]:
    """``--dags-folder DIR`` and ``--option dags_folder=DIR`` → ``{"dags_folder": "DIR"}``."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--option {pair!r} is not of the form key=value",
                              "write it as --option dags_folder=/opt/airflow/dags")
        options[key.strip().replace("-", "_")] = value
    words = list(extra)
    while words:
        word = words.pop(0)
        if not word.startswith("--"):
            raise ConfigError(f"unexpected argument {word!r}",
                              "backend options are --name value; see `sundial config show`")
        key, sep, value = word[2:].partition("=")
        key = key.replace("-", "_")
        if not sep:
            # --key value, or a switch (--key alone); an unknown key is refused by the
            # settings with the list of known ones.
            value = words.pop(0) if words and not words[0].startswith("--") else "true"
        options[key] = value
    return options


def _check_folders(settings: Any, create: bool) -> None:
    """A folder the backend writes to (e.g. Airflow's DAGs folder) must exist, or --create."""
    if settings is None:
        return
    for field, info in type(settings).model_fields.items():
        value = getattr(settings, field)
        if not isinstance(value, Path) or "folder" not in field:
            continue
        if value.exists():
            continue
        if not create:
            flag = "--" + field.replace("_", "-")
            raise NotFoundError(f"{flag} {value} does not exist",
                                f"create it, or pass --create to have it made; {info.description}")
        value.mkdir(parents=True)


def _retire(name: str) -> None:
    """--replace: the schedule of that name gives way (soft delete; its history stays)."""
    from sundial.client import Client

    schedules = Client().schedules
    try:
        info = schedules.get(name)
    except NotFoundError:
        return
    if info.state != "deleted":
        schedules.delete(name)

"""``sundial run TARGET``: run a pipeline now, locally or on a backend (``--orchestrator``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sundial.cli.output import console, print_json
from sundial.errors import ParameterError

if TYPE_CHECKING:
    from sundial.definition.pipeline import Pipeline


def parse_params(pairs: list[str]) -> dict[str, object]:
    """``k=v`` pairs; each value is read as JSON when it parses, else kept as a string."""
    params: dict[str, object] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise ParameterError(f"--param '{pair}' is not of the form key=value",
                                 "write it as --param lr=0.2")
        try:
            params[key] = json.loads(raw)
        except json.JSONDecodeError:
            params[key] = raw
    return params


def cli_params(pipeline: Pipeline, pairs: list[str],
               base: dict[str, Any] | None = None) -> dict[str, Any]:
    """``--param`` pairs (over ``base``) checked against the pipeline's parameters, with
    errors in the CLI's terms: a missing parameter is asked for as ``--param name=VALUE``."""
    given = {**(base or {}), **parse_params(pairs)}
    names = list(pipeline.signature.parameters)
    unknown = [k for k in given if k not in names]
    if unknown:
        raise ParameterError(
            f"pipeline '{pipeline.name}' has no parameter '{unknown[0]}'",
            f"its parameters are: {', '.join(names) or '(none)'}; pass them as "
            "--param name=value")
    missing = [p for p in pipeline.signature.parameters.values()
               if p.default is p.empty and p.name not in given]
    if missing:
        raise ParameterError(
            f"pipeline '{pipeline.name}' needs "
            + ", ".join(f"'{p.name}'" for p in missing),
            "pass " + " ".join(f"--param {p.name}=VALUE" for p in missing))
    return given


def run(
    target: Annotated[str, typer.Argument(help="path/to/file.py:pipeline or module:pipeline")],
    param: Annotated[list[str] | None, typer.Option("--param", "-p",
                                                    help="a pipeline parameter, key=value")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="run every step afresh")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the run as JSON")] = False,
    orchestrator: Annotated[str | None, typer.Option(
        "--orchestrator", help="the backend to run on (default: the pipeline's, local)")] = None,
    option: Annotated[list[str] | None, typer.Option(
        "--option", "-o", help="a backend setting, key=value")] = None,
) -> None:
    """Run a pipeline now and print its run: on this machine, or submitted to a backend
    (``--orchestrator kubernetes``), which then runs it; ``sundial runs show`` follows it."""
    from sundial.cli.deploy import backend_options
    from sundial.engine.loader import load_pipeline

    pipeline = load_pipeline(target)
    if no_cache:
        pipeline = pipeline.with_options(enable_cache=False)
    if orchestrator is not None or option:
        backend = orchestrator or pipeline.options.orchestrator
        pipeline = pipeline.with_options(
            orchestrator=backend, orchestrator_options=backend_options(backend, [], option or []))
    params = cli_params(pipeline, param or [])
    run_and_print(lambda: pipeline(**params), as_json)


def run_and_print(start: Callable[[], Any], as_json: bool) -> None:
    """Run, then print the run (as JSON with ``as_json``); a failed run is printed too and
    exits 1 with its headline."""
    from sundial.cli.runs import print_run, run_json
    from sundial.errors import RunFailedError

    try:
        result = start()
    except RunFailedError as err:
        from sundial.client import Client

        record = Client().store.get_run(err.run_id)
        if as_json:
            print_json(run_json(record))
        else:
            print_run(record)
        raise
    if hasattr(result, "record"):
        if as_json:
            print_json(run_json(result.record))
        else:
            print_run(result.record)
    else:
        console.print(result)

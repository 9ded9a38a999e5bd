"""``sundial run TARGET``: run a pipeline now, locally."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from sundial.cli.output import console
from sundial.errors import ParameterError


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


def run(
    target: Annotated[str, typer.Argument(help="path/to/file.py:pipeline or module:pipeline")],
    param: Annotated[list[str] | None, typer.Option("--param", "-p",
                                                    help="a pipeline parameter, key=value")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="run every step afresh")] = False,
) -> None:
    """Run a pipeline now on this machine and print its run."""
    from sundial.cli.runs import print_run
    from sundial.engine.loader import load_pipeline
    from sundial.errors import RunFailedError

    pipeline = load_pipeline(target)
    if no_cache:
        pipeline = pipeline.with_options(enable_cache=False)
    try:
        result = pipeline(**parse_params(param or []))
    except RunFailedError as err:
        from sundial.client import Client

        print_run(Client().store.get_run(err.run_id))
        raise
    if hasattr(result, "record"):
        print_run(result.record)
    else:
        console.print(result)

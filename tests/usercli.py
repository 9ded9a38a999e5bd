"""`sundial ...` in-process through Typer's runner, with the console script's error handling
(a SundialError prints its headline and fix on stderr and exits with its code)."""

from __future__ import annotations

from dataclasses import dataclass

from typer.testing import CliRunner

from sundial.cli.app import app
from sundial.errors import SundialError


@dataclass
class Done:
    code: int
    out: str
    err: str


def sundial(*args: str, input: str | None = None) -> Done:
    result = CliRunner().invoke(app, list(args), input=input, env={"COLUMNS": "200"})
    exc = result.exception
    if isinstance(exc, SundialError):
        shown = exc.cli_fix or exc.fix  # as sundial's main() prints it
        fix = f"Fix: {shown}\n" if shown else ""
        return Done(exc.exit_code, result.stdout, f"{result.stderr}Error: {exc.headline}\n{fix}")
    if exc is not None and not isinstance(exc, SystemExit):
        raise exc
    return Done(result.exit_code, result.stdout, result.stderr)

"""``sundial runs list|show|logs``: what ran, how it went, what it printed."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from sundial.cli.output import console, print_json
from sundial.errors import NotFoundError
from sundial.store.records import RunRecord

if TYPE_CHECKING:  # the store (and SQLAlchemy) load only when a runs command runs
    from sundial.store.store import Store

runs_app = typer.Typer(help="Inspect pipeline runs.", no_args_is_help=True)

_STYLE = {"completed": "green", "failed": "red", "cached": "cyan", "skipped": "yellow",
          "running": "blue", "queued": "magenta", "cancelled": "yellow"}


def _status(status: str) -> str:
    return f"[{_STYLE.get(status, 'white')}]{status}[/]"


def _store() -> Store:
    from sundial.client import Client

    return Client().store


@runs_app.command("list")
def list_runs(
    pipeline: Annotated[str | None, typer.Option(help="only this pipeline")] = None,
    status: Annotated[str | None, typer.Option(help="only runs with this status")] = None,
    limit: Annotated[int, typer.Option(help="at most this many, newest first")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """List runs, newest first."""
    runs = _store().list_runs(pipeline=pipeline, status=status, limit=limit)
    if as_json:
        print_json([r.summary() for r in runs])
        return
    table = Table("id", "pipeline", "status", "created (UTC)", "steps")
    for r in runs:
        table.add_row(r.id[:8], r.pipeline, _status(r.status),
                      r.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                      " ".join(_status(s.status) for s in r.steps.values()))
    console.print(table)


def print_run(run: RunRecord) -> None:
    """A run, its steps and where their artifacts are."""
    duration = ""
    if run.started_at and run.ended_at:
        duration = f" in {(run.ended_at - run.started_at).total_seconds():.2f}s"
    console.print(f"Run [bold]{run.id}[/] of pipeline [bold]{run.pipeline}[/]: "
                  f"{_status(run.status)}{duration}")
    if run.params:
        console.print(f"params: {run.params}")
    uris = [a.uri for s in run.steps.values() for a in s.outputs.values()]
    common = os.path.commonpath(uris) if len(uris) > 1 and all(
        u.startswith("/") for u in uris) else ""
    if common:
        console.print(f"artifacts under: {common}")
    table = Table("step", "status", "attempts", "seconds", "outputs")
    for s in run.steps.values():
        outs = "\n".join(f"{n}: {os.path.relpath(a.uri, common) if common else a.uri}"
                         for n, a in s.outputs.items())
        if s.error:
            outs = (outs + "\n" if outs else "") + f"[red]{s.error}[/]"
        table.add_row(s.name, _status(s.status), str(s.attempts),
                      f"{s.duration:.3f}" if s.duration is not None else "", outs)
    console.print(table)


@runs_app.command("show")
def show(
    run_id: Annotated[str, typer.Argument(help="run id or a unique prefix")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Show one run with its steps and artifacts."""
    run = _store().get_run(run_id)
    if not as_json:
        print_run(run)
        return
    print_json(run.detail())


@runs_app.command("logs")
def logs(
    run_id: Annotated[str, typer.Argument(help="run id or a unique prefix")],
    step: Annotated[str | None, typer.Option(help="only this step")] = None,
) -> None:
    """Print what each step printed and logged, and the traceback of a failed step."""
    run = _store().get_run(run_id)
    steps = list(run.steps.values())
    if step is not None:
        steps = [s for s in steps if s.name == step]
        if not steps:
            raise NotFoundError(f"run {run.id} has no step '{step}'",
                                f"its steps are: {', '.join(run.steps)}")
    for s in steps:
        console.rule(f"{s.name} ({s.status})")
        if s.logs:
            console.print(s.logs.rstrip("\n"), markup=False, highlight=False)
        if s.traceback:
            console.print(s.traceback.rstrip("\n"), markup=False, style="red")
        if s.status == "skipped" and s.error:
            console.print(s.error, markup=False)

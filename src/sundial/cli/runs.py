"""``sundial runs list|show|logs|rerun|cancel``: what ran, how it went, what it printed."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from sundial.cli.output import console, print_json
from sundial.errors import NotFoundError, ParameterError
from sundial.store.records import RUN_STATUSES, RunRecord

if TYPE_CHECKING:  # the store (and SQLAlchemy) load only when a runs command runs
    from sundial.store.store import Store

runs_app = typer.Typer(help="Inspect pipeline runs.", no_args_is_help=True)

_STYLE = {"completed": "green", "failed": "red", "cached": "cyan", "skipped": "yellow",
          "running": "blue", "queued": "magenta", "cancelled": "yellow",
          "starting": "blue", "cancelling": "yellow"}
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]
RunArg = Annotated[str, typer.Argument(help="run id or a unique prefix")]


def _status(status: str) -> str:
    return f"[{_STYLE.get(status, 'white')}]{status}[/]"


def _store() -> Store:
    from sundial.client import Client

    return Client().store


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _duration(run: RunRecord) -> float | None:
    return run.duration(datetime.now(UTC))


def _short(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if value else ""


@runs_app.command("list")
def list_runs(
    pipeline: Annotated[str | None, typer.Option(help="only this pipeline")] = None,
    status: Annotated[str | None, typer.Option(
        metavar="STATUS", help=f"only runs with this status: {', '.join(RUN_STATUSES)}")] = None,
    limit: Annotated[int, typer.Option(help="at most this many, newest first")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """List runs, newest first: schedule, trigger, nominal time, status and duration."""
    if status is not None and status not in RUN_STATUSES:
        raise ParameterError(f"--status {status!r} is not a run status",
                             f"use one of: {', '.join(RUN_STATUSES)}")
    from sundial.store.run_control import schedule_names

    store = _store()
    runs = store.list_runs(pipeline=pipeline, status=status, limit=limit)
    names = schedule_names(store, (r.schedule_id for r in runs))
    if as_json:
        now = datetime.now(UTC)
        print_json([r.listed(names.get(r.schedule_id or ""), now) for r in runs])
        return
    table = Table("id", "pipeline", "schedule", "trigger", "nominal (UTC)", "status",
                  "started (UTC)", "seconds", "steps")
    for r in runs:
        took = _duration(r)
        table.add_row(r.id[:8], r.pipeline, names.get(r.schedule_id or "", ""),
                      r.trigger or "", _short(r.nominal_at), _status(r.status),
                      _short(r.started_at), f"{took:.2f}" if took is not None else "",
                      " ".join(_status(s.status) for s in r.steps.values()))
    console.print(table)


def print_run(run: RunRecord) -> None:
    """A run, its steps and where their artifacts are; the run's own error (one that
    happened before any step could run) with its fix."""
    took = _duration(run)
    duration = f" in {took:.2f}s" if took is not None and run.ended_at else ""
    console.print(f"Run [bold]{run.id}[/] of pipeline [bold]{run.pipeline}[/]: "
                  f"{_status(run.status)}{duration}")
    if run.nominal_at or run.trigger:
        console.print(f"trigger: {run.trigger or ''}"
                      + (f", nominal time {run.nominal_at.isoformat()}" if run.nominal_at
                         else ""))
    if run.params:
        console.print(f"params: {run.params}")
    if run.error and not any(s.status == "failed" for s in run.steps.values()):
        lines = run.error.strip().splitlines()
        console.print(f"[red]error: {lines[0]}[/]", markup=True, highlight=False)
        fix = next((ln for ln in lines[1:3] if ln.startswith("Fix: ")), None)
        if fix:
            console.print(fix, markup=False)
        if len(lines) > 1:
            console.print(f"the full error: `sundial runs logs {run.id[:8]}`", markup=False)
    uris = [a.uri for s in run.steps.values() for a in s.outputs.values()]
    common = os.path.commonpath(uris) if len(uris) > 1 and all(
        u.startswith("/") for u in uris) else ""
    if common:
        console.print(f"artifacts under: {common}")
    if not run.steps:
        return
    table = Table("step", "status", "attempts", "seconds", "outputs")
    for s in run.steps.values():
        outs = "\n".join(f"{n}: {os.path.relpath(a.uri, common) if common else a.uri}"
                         for n, a in s.outputs.items())
        if s.error:
            outs = (outs + "\n" if outs else "") + f"[red]{s.error}[/]"
        table.add_row(s.name, _status(s.status), str(s.attempts),
                      f"{s.duration:.3f}" if s.duration is not None else "", outs)
    console.print(table)


def run_json(run: RunRecord) -> dict[str, Any]:
    """A run as JSON (every instant ISO-8601 with its offset) and its duration."""
    return run.shown(datetime.now(UTC))


@runs_app.command("show")
def show(run_id: RunArg, as_json: JsonOpt = False) -> None:
    """Show one run with its steps and artifacts."""
    run = _store().get_run(run_id)
    if as_json:
        print_json(run_json(run))
    else:
        print_run(run)


@runs_app.command("logs")
def logs(
    run_id: RunArg,
    step: Annotated[str | None, typer.Option(help="only this step")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Print what each step printed and logged, the traceback of a failed step, and the
    run's own error when it failed before a step could run."""
    run = _store().get_run(run_id)
    steps = list(run.steps.values())
    if step is not None:
        steps = [s for s in steps if s.name == step]
        if not steps:
            raise NotFoundError(f"run {run.id} has no step '{step}'",
                                f"its steps are: {', '.join(run.steps) or '(none ran)'}")
    own_error = run.error if run.error and step is None and not any(
        s.status == "failed" for s in run.steps.values()) and run.status != "completed" \
        else None
    if as_json:
        print_json({"run": run.id, "status": run.status, "error": own_error,
                    "steps": [{"name": s.name, "status": s.status, "logs": s.logs or "",
                               "traceback": s.traceback, "error": s.error} for s in steps]})
        return
    for s in steps:
        console.rule(f"{s.name} ({s.status})")
        if s.logs:
            console.print(s.logs.rstrip("\n"), markup=False, highlight=False)
        if s.traceback:
            console.print(s.traceback.rstrip("\n"), markup=False, style="red")
        if s.status == "skipped" and s.error:
            console.print(s.error, markup=False)
    if own_error:
        console.rule(f"run {run.id[:8]} ({run.status})")
        console.print(own_error.rstrip("\n"), markup=False, style="red")
    elif not steps:
        console.print(f"run {run.id[:8]} ({run.status}) has no step output yet.")


@runs_app.command("rerun")
def rerun(
    run_id: RunArg,
    param: Annotated[list[str] | None, typer.Option(
        "--param", "-p", help="change a parameter, key=value")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a run's pipeline again now, on this machine, with the same code reference and
    parameters (changed by --param); prints the new run."""
    from sundial.cli.run import cli_params, run_and_print
    from sundial.dispatch import prepare_rerun, run_now
    from sundial.store.records import RERUN

    store = _store()
    prepared = prepare_rerun(store, run_id, load=True)
    pipeline, old = prepared.pipeline, prepared.of
    assert pipeline is not None
    params = cli_params(pipeline, param or [], base=prepared.params)
    if not as_json:
        console.print(f"Re-running run {old.id[:8]} of pipeline {old.pipeline}")
    run_and_print(lambda: run_now(pipeline, pipeline.bind_params((), params), store=store,
                                  orchestrator="local", trigger=RERUN), as_json)


@runs_app.command("cancel")
def cancel(run_id: RunArg, as_json: JsonOpt = False) -> None:
    """Cancel a run: a queued one at once; a running one is stopped by its worker."""
    from sundial.scheduler.wake import notify_schedulers
    from sundial.store.run_control import cancel_run

    store = _store()
    full = store.resolve_run_id(run_id)
    status = cancel_run(store, full, datetime.now(UTC))
    notify_schedulers(store.url)  # a slot may be free
    if as_json:
        print_json({"run": full, "status": status})
    elif status == "cancelled":
        console.print(f"Run {full} cancelled.")
    else:
        console.print(f"Run {full} is cancelling: its worker stops it within a heartbeat "
                      "(a run started by `sundial run` stops with Ctrl-C).")

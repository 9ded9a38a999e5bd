"""``sundial schedule list|describe|pause|resume|update|delete|trigger|backfill``.

Registered onto the ``schedule`` sub-app next to ``preview``; each command has ``--json``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from sundial.cli.output import console, print_json
from sundial.cli.schedule import schedule_app
from sundial.cli.schedule_flags import ScheduleFlags, in_flags, schedule_flags
from sundial.errors import InvalidScheduleError, SundialError

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]
NameArg = Annotated[str, typer.Argument(help="the schedule's name (or id)")]


def _schedules() -> Any:
    from sundial.client import Client

    return Client().schedules


def _when(value: str | None) -> str:
    return "" if value is None else value.replace("T", " ")


def _print_info(info: Any, as_json: bool) -> None:
    if as_json:
        print_json(info.summary())
    else:
        rec = info.record
        console.print(f"Schedule [bold]{rec.name}[/] ({rec.pipeline}): {rec.state}"
                      + (f", next fire at {rec.next_fire_at.isoformat()}"
                         if rec.next_fire_at else ""))


@schedule_app.command("list")
def list_(as_json: JsonOpt = False,
          all_: Annotated[bool, typer.Option("--all", help="include deleted")] = False) -> None:
    """List registered schedules."""
    schedules = _schedules()
    infos = schedules.list(include_deleted=all_)
    if as_json:
        print_json([i.summary() for i in infos])
    else:
        table = Table("name", "pipeline", "kind", "state", "next fire (UTC)", "runs")
        for i in infos:
            s = i.summary()
            table.add_row(s["name"], s["pipeline"], s["kind"], s["state"],
                          _when(s["next_fire_at"]), str(s["fired_count"]))
        console.print(table)
    _warn_if_no_scheduler(schedules.store, infos)


def _warn_if_no_scheduler(store: Any, infos: list[Any]) -> None:
    """Say so when active sundial-mode schedules exist but no scheduler replica is alive:
    their next fire times will pass without a run (on stderr: JSON output stays clean)."""
    if not any(i.state == "active" and i.record.native_ref is None for i in infos):
        return
    from datetime import UTC

    from sundial.cli.output import err_console
    from sundial.scheduler.watch import alive_replicas

    if not alive_replicas(store, datetime.now(UTC)):
        err_console.print("[yellow]No scheduler is alive for this store:[/] these schedules "
                          "fire only while one runs (`sundial scheduler` or `sundial up`; "
                          "`sundial scheduler status` lists them).")


@schedule_app.command("describe")
def describe(name: NameArg, as_json: JsonOpt = False) -> None:
    """Definition, state, last runs, next fire times and skipped ticks by reason."""
    d = _schedules().describe(name)
    if as_json:
        print_json(d)
        return
    console.print(f"[bold]{d['name']}[/] — pipeline {d['pipeline']}, {d['kind']}, "
                  f"state [bold]{d['state']}[/]"
                  + (f" ({d['pause_note']})" if d["pause_note"] else ""))
    definition = {k: v for k, v in d["definition"].items() if v not in (None, False)}
    console.print("definition: " + ", ".join(f"{k}={v}" for k, v in definition.items()))
    where = f"{d['orchestrator']}, native as {d['native_ref']}" if d["native_ref"] else \
        f"{d['orchestrator']}, sundial mode"
    console.print(f"runs on: {where}", markup=False)
    for field, text in d["default_here"].items():
        console.print(f"  {field} (left at its default): {text}", markup=False)
    platform = d.get("platform")
    if platform:
        seen = platform.get("error") or (
            f"paused={platform.get('paused')}, next run {platform.get('next_run_at') or '-'}"
            if platform.get("exists") else "not found there")
        console.print(f"on the platform: {seen}", markup=False)
    console.print(f"runs created by ticks: {d['fired_count']}   by trigger: "
                  f"{d['runs_by_trigger'] or '{}'}   skipped by reason: "
                  f"{d['skipped_by_reason'] or '{}'}")
    runs = Table("run", "nominal time (UTC)", "trigger", "status", title="last runs")
    for r in d["last_runs"]:
        runs.add_row(r["id"][:8], _when(r["nominal_at"]), r["trigger"] or "", r["status"])
    console.print(runs)
    nxt = Table("next fire times", f"({d['timezone']})")
    for t in d["next_fire_times"]:
        nxt.add_row(t, "")
    console.print(nxt if d["next_fire_times"] else "next fire times: none")


@schedule_app.command("pause")
def pause(name: NameArg,
          note: Annotated[str | None, typer.Option(help="why it is paused")] = None,
          as_json: JsonOpt = False) -> None:
    """Pause: no tick runs until resumed."""
    _print_info(_schedules().pause(name, note=note), as_json)


@schedule_app.command("resume")
def resume(name: NameArg, as_json: JsonOpt = False) -> None:
    """Resume: missed ticks follow the schedule's catchup setting."""
    _print_info(_schedules().resume(name), as_json)


@schedule_app.command("update")
@schedule_flags
def update(
    name: NameArg,
    *,
    flags: ScheduleFlags,
    param: Annotated[list[str] | None, typer.Option(
        "--param", "-p", help="a pipeline parameter for later runs, key=value")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change fields or parameters of a schedule; handled ticks are never re-run or dropped,
    runs already made keep their parameters."""
    fields: dict[str, Any] = flags.fields()
    # A new kind replaces the old one: the other kinds' fields are cleared.
    for kind in ("cron_expression", "interval_second", "run_once_start_time"):
        if kind in fields:
            for other in ("cron_expression", "interval_second", "run_once_start_time"):
                fields.setdefault(other, None)
    if param:
        from sundial.cli.run import parse_params

        fields["params"] = parse_params(param)
    if not fields:
        raise InvalidScheduleError("nothing to update",
                                   "pass at least one option, e.g. --cron or --param")
    try:
        info = _schedules().update(name, **fields)
    except InvalidScheduleError as err:
        raise in_flags(err) from None
    _print_info(info, as_json)


@schedule_app.command("delete")
def delete(name: NameArg,
           hard: Annotated[bool, typer.Option("--hard", help="also remove its ticks")] = False,
           yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask")] = False,
           dry_run: Annotated[bool, typer.Option(
               "--dry-run", help="say what would be deleted and cancelled; change nothing")
           ] = False,
           as_json: JsonOpt = False) -> None:
    """Delete a schedule (soft: its history stays) and cancel its queued runs; asks first
    unless --yes."""
    import sys

    schedules = _schedules()
    queued = schedules.queued_runs(name)
    what = (f"schedule {name}{' and its ticks' if hard else ''}; {queued} queued run"
            f"{'' if queued == 1 else 's'} would be cancelled")
    if dry_run:
        if as_json:
            print_json({"name": name, "deleted": False, "hard": hard, "cancelled": queued,
                        "dry_run": True})
        else:
            console.print(f"Dry run: would delete {what}.")
        return
    if not yes:
        if not sys.stdin.isatty():
            raise SundialError(f"deleting {what}: not confirmed",
                               "confirm with --yes (no terminal to ask on)")
        if not typer.confirm(f"Delete {what}?", default=False):
            raise typer.Exit(1)
    cancelled = schedules.delete(name, hard=hard)
    if as_json:
        print_json({"name": name, "deleted": True, "hard": hard, "cancelled": cancelled})
    else:
        console.print(f"Schedule {name} deleted{' with its ticks' if hard else ''}; "
                      f"{cancelled} queued run{'' if cancelled == 1 else 's'} cancelled.")


@schedule_app.command("trigger")
def trigger(name: NameArg,
            param: Annotated[list[str] | None, typer.Option(
                "--param", "-p", help="a parameter for this run only, key=value")] = None,
            as_json: JsonOpt = False) -> None:
    """Queue a manual run now (like Airflow's `dags trigger --conf`); a running scheduler
    starts it."""
    from sundial.cli.run import parse_params

    run_id = _schedules().trigger(name, parse_params(param or []) or None)
    if as_json:
        print_json({"name": name, "run_id": run_id})
    else:
        console.print(f"Queued run {run_id} of schedule {name}; `sundial scheduler` starts it.")


@schedule_app.command("backfill")
def backfill(name: NameArg,
             start: Annotated[str, typer.Argument(
                 help="first instant (inclusive), ISO; a bare date is its midnight")],
             end: Annotated[str, typer.Argument(
                 help="last instant (inclusive), ISO; a bare date means the whole day "
                      "(up to now, if that is today)")],
             dry_run: Annotated[bool, typer.Option(
                 "--dry-run", help="list the ticks that would be queued; record nothing")
             ] = False,
             as_json: JsonOpt = False) -> None:
    """Queue a run for every tick in [START, END] that has none yet (exactly once). Times
    without an offset are in the schedule's time zone; `backfill NAME 2026-11-12 2026-11-12`
    covers that whole day, as in Airflow."""
    from rich.progress import Progress

    from sundial.scheduler.api import backfill_bound, is_bare_date

    first, last = backfill_bound("START", start, end_of_day=False), \
        backfill_bound("END", end, end_of_day=True)
    # The bar only on a terminal: elsewhere Rich's live display leaves a blank line behind.
    with Progress(console=console, transient=True,
                  disable=as_json or dry_run or not console.is_terminal) as bar:
        task = bar.add_task("recording ticks", total=None)
        result = _schedules().backfill(
            name, first, last, dry_run=dry_run, up_to_now=is_bare_date(end),
            progress=lambda done, total: bar.update(task, completed=done, total=total))
    if as_json:
        print_json(result.to_json(name, dry_run=dry_run))
    elif dry_run:
        console.print(f"Dry run of the back-fill of {name}: {result.ticks} ticks, "
                      f"{result.created} runs would be queued, {result.existing} have one.")
        for n in result.nominals[:50]:
            console.print(f"  {n.isoformat()}")
        if len(result.nominals) > 50:
            console.print(f"  ... and {len(result.nominals) - 50} more")
    else:
        console.print(f"Back-fill of {name}: {result.ticks} ticks, {result.created} runs queued,"
                      f" {result.existing} had a run already.")

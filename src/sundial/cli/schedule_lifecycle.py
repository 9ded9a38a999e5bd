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
from sundial.errors import InvalidScheduleError

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
    infos = _schedules().list(include_deleted=all_)
    if as_json:
        print_json([i.summary() for i in infos])
        return
    table = Table("name", "pipeline", "kind", "state", "next fire (UTC)", "runs")
    for i in infos:
        s = i.summary()
        table.add_row(s["name"], s["pipeline"], s["kind"], s["state"],
                      _when(s["next_fire_at"]), str(s["fired_count"]))
    console.print(table)


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
def update(
    name: NameArg,
    cron: Annotated[str | None, typer.Option("--cron", help="new cron expression")] = None,
    interval: Annotated[float | None, typer.Option("--interval", help="new interval (s)")] = None,
    start: Annotated[datetime | None, typer.Option("--start", help="new start_time")] = None,
    end: Annotated[datetime | None, typer.Option("--end", help="new end_time")] = None,
    tz: Annotated[str | None, typer.Option("--tz", help="new time zone")] = None,
    catchup: Annotated[bool | None, typer.Option("--catchup/--no-catchup")] = None,
    overlap: Annotated[str | None, typer.Option(help="queue|skip|replace|allow")] = None,
    max_active_runs: Annotated[int | None, typer.Option(help="new max_active_runs")] = None,
    max_runs: Annotated[int | None, typer.Option(help="new max_runs")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change fields of a schedule; handled ticks are never re-run or dropped."""
    fields: dict[str, Any] = {k: v for k, v in dict(
        cron_expression=cron, interval_second=interval, start_time=start, end_time=end,
        timezone=tz, catchup=catchup, overlap=overlap, max_active_runs=max_active_runs,
        max_runs=max_runs).items() if v is not None}
    if cron is not None:
        fields["interval_second"] = fields.get("interval_second")
    if interval is not None:
        fields["cron_expression"] = None
    if not fields:
        raise InvalidScheduleError("nothing to update", "pass at least one option, e.g. --cron")
    _print_info(_schedules().update(name, **fields), as_json)


@schedule_app.command("delete")
def delete(name: NameArg,
           hard: Annotated[bool, typer.Option("--hard", help="also remove its ticks")] = False,
           as_json: JsonOpt = False) -> None:
    """Delete a schedule (soft: its history stays)."""
    _schedules().delete(name, hard=hard)
    if as_json:
        print_json({"name": name, "deleted": True, "hard": hard})
    else:
        console.print(f"Schedule {name} deleted{' with its ticks' if hard else ''}.")


@schedule_app.command("trigger")
def trigger(name: NameArg, as_json: JsonOpt = False) -> None:
    """Queue a manual run now; a running scheduler starts it."""
    run_id = _schedules().trigger(name)
    if as_json:
        print_json({"name": name, "run_id": run_id})
    else:
        console.print(f"Queued run {run_id} of schedule {name}; `sundial scheduler` starts it.")


@schedule_app.command("backfill")
def backfill(name: NameArg,
             start: Annotated[datetime, typer.Argument(help="first instant (inclusive)")],
             end: Annotated[datetime, typer.Argument(help="last instant (inclusive)")],
             as_json: JsonOpt = False) -> None:
    """Queue a run for every tick in [START, END] that has none yet (exactly once)."""
    from rich.progress import Progress

    with Progress(console=console, transient=True, disable=as_json) as bar:
        task = bar.add_task("recording ticks", total=None)
        result = _schedules().backfill(
            name, start, end, progress=lambda done, total: bar.update(task, completed=done,
                                                                     total=total))
    if as_json:
        print_json({"name": name, "ticks": result.ticks, "created": result.created,
                    "existing": result.existing})
    else:
        console.print(f"Back-fill of {name}: {result.ticks} ticks, {result.created} runs queued,"
                      f" {result.existing} had a run already.")

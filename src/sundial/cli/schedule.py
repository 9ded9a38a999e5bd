"""``sundial schedule …``: schedules from the command line.

``preview`` builds a Schedule from flags, exactly as ``Schedule(...)`` would, and prints its
next fire times; it reads no store. Bad flags raise the model's own ``InvalidScheduleError``,
which ``sundial.cli.main`` prints as a headline and a fix before exiting with code 2.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from sundial.cli.schedule_flags import ScheduleFlags, parse_time, schedule_flags
from sundial.errors import InvalidScheduleError

if TYPE_CHECKING:
    from sundial.definition.schedule import Schedule

schedule_app = typer.Typer(
    help="Define and inspect schedules: when pipelines run.",
    no_args_is_help=True,
)


@schedule_app.callback()
def _schedule_group() -> None:
    """Define and inspect schedules: when pipelines run."""
    # A callback keeps `schedule` a command group, so `sundial schedule preview` keeps its
    # name even while preview is the group's only command.


@schedule_app.command("preview")
@schedule_flags
def preview(
    *,
    flags: ScheduleFlags,
    after: Annotated[
        str | None,
        typer.Option("--after", metavar="ISO", help="List fire times strictly after this "
                     "(default: now)."),
    ] = None,
    count: Annotated[
        int, typer.Option("-n", "--count", metavar="N", help="How many fire times.")
    ] = 10,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print only a JSON array of ISO-8601 times with offsets."),
    ] = False,
) -> None:
    """Print the next fire times of a schedule, in its zone and in UTC.

    Times without an offset are wall-clock times in --tz, as in Schedule(...).
    """
    schedule = flags.schedule()
    if count < 0:
        raise InvalidScheduleError(f"-n {count} is negative", "give -n a count of 0 or more")
    from sundial.definition.schedule import PREVIEW_LIMIT

    if count > PREVIEW_LIMIT:
        raise InvalidScheduleError(
            f"-n {count} is more than {PREVIEW_LIMIT} fire times",
            f"give -n at most {PREVIEW_LIMIT}; for later times, pass --after the last one shown",
        )
    since = parse_time("--after", after) if after is not None else datetime.now(UTC)
    if since.tzinfo is None:
        # Like every naive time given to a Schedule: wall clock in its zone.
        since = since.replace(tzinfo=schedule.zone)
    try:
        times = schedule.preview(count, after=since)
    except OverflowError:
        # A naive --after at the very edge of the calendar cannot be put into UTC.
        raise InvalidScheduleError(
            f"--after {after!r} is outside the supported range", "give a date in years 1-9999"
        ) from None
    if as_json:
        from sundial.cli.output import print_json

        print_json([t.isoformat() for t in times], compact=True)
    else:
        _print_table(schedule, times, since)


def _describe(schedule: Schedule) -> str:
    if schedule.kind == "cron":
        what = f"cron {schedule.cron_expression!r}"
    elif schedule.interval_second is not None:
        what = f"every {schedule.interval_second.total_seconds():g} s"
    else:
        what = "once"
    return f"{what} in {schedule.timezone}"


def _print_table(schedule: Schedule, times: list[datetime], since: datetime) -> None:
    from rich.table import Table

    from sundial.cli.output import console

    after_shown = since.isoformat()
    if not times:
        console.print(f"No fire times after {after_shown} ({_describe(schedule)}).")
        return
    table = Table(title=f"Next fire times: {_describe(schedule)}, after {after_shown}")
    table.add_column("#", justify="right")
    table.add_column(f"{schedule.timezone}")
    table.add_column("UTC")
    for index, fire in enumerate(times, start=1):
        table.add_row(str(index), fire.isoformat(), fire.astimezone(UTC).isoformat())
    console.print(table)

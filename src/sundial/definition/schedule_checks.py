"""The whole-Schedule checks and the conversion of pydantic's errors into one
:class:`InvalidScheduleError` (kept apart from the model in ``schedule.py``, which they serve).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from sundial.errors import InvalidScheduleError
from sundial.timing.zones import load_zone, to_utc

if TYPE_CHECKING:
    from sundial.definition.schedule import Schedule

_KIND_FIELDS = ("cron_expression", "interval_second", "run_once_start_time")
_KIND_FIX = (
    'set exactly one of cron_expression="5 14 * * 3" (a calendar), '
    "interval_second=1800 (every 30 minutes from start_time) or "
    "run_once_start_time=<datetime> (one run)"
)


def check_one_kind(schedule: Schedule) -> None:
    given = [f for f in _KIND_FIELDS if getattr(schedule, f) is not None]
    if len(given) == 1:
        return
    if len(given) > 1:
        raise InvalidScheduleError(
            f"Schedule sets {' and '.join(given)}: a schedule is exactly one kind "
            "(cron, interval or run-once)",
            "keep one of them; to limit when a cron or interval schedule fires, use "
            "start_time and end_time",
        )
    if schedule.start_time is not None:
        raise InvalidScheduleError(
            "Schedule has start_time but no interval_second, cron_expression or "
            "run_once_start_time: start_time alone does not say when to run",
            "add interval_second=<seconds> to run every so often from start_time, "
            "or use run_once_start_time=<datetime> to run once",
        )
    raise InvalidScheduleError("Schedule says nothing about when to run", _KIND_FIX)


def in_utc(field: str, value: datetime, zone: ZoneInfo) -> datetime:
    try:
        return to_utc(value, zone)
    except OverflowError:
        raise InvalidScheduleError(
            f"{field} {value.isoformat()} is outside the supported range once put in UTC",
            f"give {field} a date between the years 1 and 9999",
        ) from None


def check_bounds(schedule: Schedule) -> None:
    start, end = schedule.start_time, schedule.end_time
    zone = load_zone(schedule.timezone)

    def shown(value: datetime) -> str:
        # In the schedule's zone: the user most likely wrote wall-clock times there. At the
        # edges of the calendar the zone's wall clock may not exist (year 10000), so UTC.
        try:
            return value.astimezone(zone).isoformat()
        except OverflowError:
            return value.isoformat()

    if start is not None and end is not None and end <= start:
        defaulted = (
            " (start_time defaults to the moment the Schedule is built)"
            if schedule.kind == "interval"
            else ""
        )
        raise InvalidScheduleError(
            f"end_time {shown(end)} is not after start_time {shown(start)}{defaulted}",
            "give an end_time later than start_time, or leave end_time out",
        )
    once = schedule.run_once_start_time
    if once is not None and (
        (start is not None and once < start) or (end is not None and once > end)
    ):
        raise InvalidScheduleError(
            f"run_once_start_time {shown(once)} is outside start_time..end_time, "
            "so the schedule would never fire",
            "move run_once_start_time inside the bounds, or leave start_time and end_time out",
        )


def as_schedule_error(err: ValidationError) -> InvalidScheduleError:
    """One :class:`InvalidScheduleError` for everything pydantic found wrong with a Schedule.

    sundial's own messages are kept as they are; pydantic's (a wrong type, an unknown field)
    get the field's name and a fix.
    """
    headlines: list[str] = []
    fixes: list[str] = []
    for problem in err.errors():
        cause = problem.get("ctx", {}).get("error")
        if isinstance(cause, InvalidScheduleError):
            headline, fix = cause.headline, cause.fix
        else:
            field = ".".join(str(part) for part in problem["loc"]) or "Schedule"
            headline, fix = _pydantic_problem(field, problem["type"], problem["msg"])
        headlines.append(headline)
        if fix and fix not in fixes:
            fixes.append(fix)
    if not headlines:  # pragma: no cover - pydantic never raises an empty ValidationError
        headlines.append(str(err))
    return InvalidScheduleError("; ".join(headlines), "; ".join(fixes))


def _pydantic_problem(field: str, kind: str, message: str) -> tuple[str, str]:
    if kind == "extra_forbidden":
        from sundial.definition.schedule import Schedule

        known = ", ".join(Schedule.model_fields)
        return f"{field} is not a Schedule field", f"use only these fields: {known}"
    fixes = {
        "overlap": 'use overlap="queue", "skip", "replace" or "allow"',
        "timezone": 'use an IANA time zone name such as "UTC" or "Europe/Berlin"',
    }
    if field in ("start_time", "end_time", "run_once_start_time"):
        fix = f"give {field} a datetime or an ISO-8601 string such as 2026-11-25T14:05:00"
    elif field in ("interval_second", "jitter", "catchup_window"):
        fix = f"give {field} a number of seconds or a timedelta"
    else:
        fix = fixes.get(field, f"give {field} a value of the right type")
    return f"{field}: {message}", fix

"""How a Schedule maps onto a Vertex AI ``Schedule`` of pipeline jobs, and where Vertex would
mean something else. Pure: values in, values out.

What Vertex documents, and what follows:

- **Cron only**, unix-cron with an optional ``TZ=<IANA zone>`` prefix. Cron schedules keep
  their zone; an interval or a run-once schedule becomes a UTC cron when one fires at exactly
  the same instants (``kfp_spec.timing``), and is refused otherwise. Vertex documents no rule
  for wall times a DST change skips or repeats, so a cron that meets one is refused too.
- ``start_time`` / ``end_time``: a schedule is active from its start until its end. Ticks
  fall on whole minutes, so sending ``start - 1s`` and the last whole minute ``<= end`` plus
  one second makes both bounds inclusive whichever way Vertex reads equality.
- ``max_run_count`` ends the schedule after that many started runs (sundial's ``max_runs``);
  ``max_concurrent_active_run_count`` (and ``max_concurrent_run_count``) cap active runs.
- ``allow_queueing``: a tick that comes at the cap waits (``overlap="queue"``) or is skipped
  (``overlap="skip"``).
- **Catch-up exists only on resume**: ``ResumeSchedule(catch_up=true)`` runs every tick
  missed while paused (sundial's ``catchup=True``); ``catch_up=false`` runs none of them,
  where sundial's ``catchup=False`` runs the newest. Ticks before the schedule was created
  (a ``start_time`` in the past) never run on Vertex.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sundial.definition.schedule import Schedule
from sundial.orchestrators.kfp_spec.timing import (
    fires_in_dst_change,
    interval_as_cron,
    once_as_cron,
    portable_cron,
)
from sundial.orchestrators.native import Problem

__all__ = ["VertexTiming", "vertex_problems", "vertex_timing"]

_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class VertexTiming:
    """The schedule's timing fields as Vertex takes them (aware UTC instants)."""

    cron: str
    start_time: datetime | None
    end_time: datetime | None
    max_run_count: int | None
    max_concurrent_run_count: int
    allow_queueing: bool
    catch_up: bool  # what a resume passes


def _last_minute_end(end: datetime) -> datetime:
    return end.astimezone(UTC).replace(second=0, microsecond=0) + _SECOND


def vertex_cron(schedule: Schedule) -> str | None:
    """The ``TZ=zone fields`` cron for ``schedule``, or None when no exact one exists."""
    if schedule.kind == "cron":
        assert schedule.cron_expression is not None
        portable = portable_cron(schedule.cron_expression)
        return None if portable.problem else f"TZ={schedule.timezone} {portable.text}"
    if schedule.kind == "interval":
        assert schedule.interval_second is not None and schedule.start_time is not None
        fields = interval_as_cron(schedule.start_time, schedule.interval_second)
    else:
        assert schedule.run_once_start_time is not None
        fields = once_as_cron(schedule.run_once_start_time)
    return None if fields is None else "TZ=UTC " + " ".join(fields)


def vertex_timing(schedule: Schedule) -> VertexTiming:
    """The Vertex fields for ``schedule`` (after :func:`vertex_problems` found none)."""
    cron = vertex_cron(schedule)
    assert cron is not None, "check the schedule first"
    start, end = schedule.start_time, schedule.end_time
    max_runs = schedule.max_runs
    if schedule.kind == "once":
        assert schedule.run_once_start_time is not None
        start = end = schedule.run_once_start_time
        max_runs = 1
    return VertexTiming(
        cron=cron, start_time=None if start is None else (start - _SECOND).astimezone(UTC),
        end_time=None if end is None else _last_minute_end(end),
        max_run_count=max_runs, max_concurrent_run_count=schedule.max_active_runs,
        allow_queueing=schedule.overlap == "queue", catch_up=schedule.catchup)


def vertex_problems(schedule: Schedule, now: datetime | None = None) -> list[Problem]:
    """Every combination of fields Vertex would run differently from sundial."""
    now = now or datetime.now(UTC)
    found: list[Problem] = []
    if schedule.kind == "cron":
        assert schedule.cron_expression is not None
        portable = portable_cron(schedule.cron_expression)
        if portable.problem is not None:
            found.append(Problem(
                ("cron_expression",), portable.problem,
                advice="write the day-of-month without a leading '*' (1-31/2 for */2), or "
                       "leave one of the two day fields '*'"))
        else:
            hit = fires_in_dst_change(schedule.cron_expression, schedule.timezone,
                                      max(schedule.start_time or now, now), schedule.end_time)
            if hit is not None:
                found.append(Problem(
                    ("cron_expression", "timezone"),
                    f"the cron fires inside a DST change of {schedule.timezone} (first on "
                    f"{hit[0]:%Y-%m-%d} between {hit[0]:%H:%M} and {hit[1]:%H:%M} local "
                    "time), where Vertex documents no rule for skipped or repeated times",
                    fixes=({"timezone": "UTC"},), yields="timezone",
                    advice="or choose hours outside the DST changes",
                    default_here="wall times a DST change skips or repeats follow Vertex's "
                                 "own (undocumented) rule"))
    elif vertex_cron(schedule) is None:
        if schedule.kind == "interval":
            found.append(Problem(
                ("interval_second",), "Vertex schedules take cron only, and no cron fires at "
                "exactly start_time + k·interval (an interval that divides an hour or a day, "
                "or is one day or one week, from a start on a whole minute, has one)",
                advice="use a cron_expression, or an interval and start_time that one fits"))
        else:
            found.append(Problem(
                ("run_once_start_time",), "Vertex fires on whole minutes only",
                advice="give run_once_start_time on a whole minute"))
    if schedule.kind != "once" and not schedule.catchup:
        found.append(Problem(
            ("catchup",), "when a paused schedule resumes, Vertex runs none of the ticks it "
            "missed (catch_up=false), where sundial runs the newest",
            fixes=({"catchup": True},), yields="catchup",
            default_here="ticks missed while paused do not run at all"))
    start = schedule.start_time
    if schedule.kind != "once" and schedule.catchup and start is not None \
            and _ticks_before(schedule, start, now):
        found.append(Problem(
            ("start_time", "catchup"), f"start_time {start.isoformat()} is in the past with "
            "ticks since, and Vertex never runs the ticks before a schedule was created",
            fixes=({"start_time": None},), advice="or back-fill the past ticks after "
            "deploying (sundial schedule backfill)"))
    return found


def _ticks_before(schedule: Schedule, start: datetime, now: datetime) -> bool:
    """Whether the schedule has a tick in ``[start, now)``."""
    if start >= now:
        return False
    if schedule.kind == "interval":
        return True  # its first tick is start_time itself
    from sundial.timing.cron import cron_fire_times
    from sundial.timing.zones import load_zone

    assert schedule.cron_expression is not None
    first = next(cron_fire_times(schedule.cron_expression, load_zone(schedule.timezone),
                                 start - timedelta(microseconds=1)), None)
    return first is not None and first < now

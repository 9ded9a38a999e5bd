"""How a Schedule maps onto a KFP recurring run, and where KFP would mean something else.

Pure: values in, values out. Every rule below is read from KFP's scheduled-workflow
controller (``backend/src/crd/controller/scheduledworkflow/util``: ``cron_schedule.go``,
``periodic_schedule.go``, ``scheduled_workflow.go``):

- **Cron** is robfig/cron with six fields, seconds first, read in the controller's zone (UTC
  unless the cluster sets ``CRON_SCHEDULE_TIMEZONE``). The next run is the first cron time
  *strictly after* ``max(start_time, last run)``, so a tick exactly at ``start_time`` needs
  ``start_time - 1s``; a tick at ``end_time`` still runs (``end < next`` stops it).
- **Interval** (periodic schedule) fires at ``max(start_time, last run) + interval``: the
  first run is one interval after ``start_time``, so KFP's start is ``start_time - interval``.
- **Catch-up**: ``no_catchup=false`` runs every missed tick in order; ``no_catchup=true``
  runs the newest missed cron tick (sundial's ``catchup=False``), but a periodic schedule
  then fires once *now* and restarts its grid from there.
- **Concurrency**: no run is made while ``max_concurrency`` (1-10) runs are active; the
  missed ticks then follow the catch-up rule.
- **Run once** is a cron at that second, bounded to that second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sundial.definition.schedule import Schedule
from sundial.orchestrators.kfp_spec.timing import kfp_cron, portable_cron, same_fire_times
from sundial.orchestrators.native import Problem

__all__ = ["MAX_CONCURRENCY", "KfpTrigger", "kfp_problems", "kfp_trigger"]

#: The controller clamps max_concurrency to 1-10.
MAX_CONCURRENCY = 10
_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class KfpTrigger:
    """The recurring run's trigger fields, as values (aware UTC instants)."""

    cron: str | None
    interval_second: int | None
    start_time: datetime | None
    end_time: datetime | None
    no_catchup: bool
    max_concurrency: int


def kfp_trigger(schedule: Schedule, handled_until: datetime | None = None) -> KfpTrigger:
    """The trigger that makes KFP fire ``schedule`` when sundial would.

    :param handled_until: the newest tick already handled (an update replaces the recurring
        run: the new one starts after it, so no tick runs twice).
    """
    start, end = schedule.start_time, schedule.end_time
    cron = interval = None
    if schedule.kind == "cron":
        assert schedule.cron_expression is not None
        fields = portable_cron(schedule.cron_expression).fields
        cron = kfp_cron(fields)
        start = None if start is None else start - _SECOND
    elif schedule.kind == "interval":
        assert schedule.interval_second is not None and schedule.start_time is not None
        interval = int(schedule.interval_second.total_seconds())
        start = schedule.start_time - schedule.interval_second
    else:
        assert schedule.run_once_start_time is not None
        at = schedule.run_once_start_time.astimezone(UTC).replace(microsecond=0)
        cron = f"{at.second} {at.minute} {at.hour} {at.day} {at.month} *"
        start, end = at - _SECOND, at
    if handled_until is not None:
        # The controller's "last run" is the tick itself: the next one is strictly after it.
        start = max(start, handled_until) if start is not None else handled_until
    return KfpTrigger(cron=cron, interval_second=interval,
                      start_time=None if start is None else start.astimezone(UTC),
                      end_time=None if end is None else end.astimezone(UTC),
                      no_catchup=not schedule.catchup,
                      max_concurrency=schedule.max_active_runs)


def kfp_problems(schedule: Schedule, cron_zone: str = "UTC",
                 now: datetime | None = None) -> list[Problem]:
    """Every combination of fields KFP would run differently from sundial."""
    found: list[Problem] = []
    if schedule.kind == "cron":
        assert schedule.cron_expression is not None
        portable = portable_cron(schedule.cron_expression)
        if portable.problem is not None:
            found.append(Problem(
                ("cron_expression",), portable.problem,
                advice="write the day-of-month without a leading '*' (1-31/2 for */2), or "
                       "leave one of the two day fields '*'"))
        elif not same_fire_times(schedule.cron_expression, schedule.timezone, cron_zone,
                                 schedule.start_time or now or datetime.now(UTC),
                                 schedule.end_time):
            found.append(Problem(
                ("cron_expression", "timezone"),
                f"KFP reads every cron in {cron_zone} (its controller's zone), and this cron "
                f"fires at other instants in {schedule.timezone}",
                # Refused even when the zone was left at its default (the machine's): reading
                # the cron in UTC would move every fire time, not a few at DST changes.
                fixes=({"timezone": cron_zone},)))
    if schedule.kind == "interval":
        assert schedule.interval_second is not None
        if schedule.interval_second.total_seconds() % 1:
            found.append(Problem(
                ("interval_second",), "KFP's periodic schedules count whole seconds",
                fixes=({"interval_second": round(schedule.interval_second.total_seconds())},)))
        if not schedule.catchup:
            found.append(Problem(
                ("interval_second", "catchup"),
                "after a pause or downtime, KFP's periodic schedule with no catch-up fires "
                "once at the moment it resumes and restarts its grid from there",
                fixes=({"catchup": True},), yields="catchup",
                default_here="after a pause, one run at resume time; the interval grid "
                             "restarts from there"))
    if schedule.kind != "once" and schedule.overlap == "queue" and not schedule.catchup:
        found.append(Problem(
            ("overlap=queue", "catchup"),
            "KFP makes no run while max_active_runs runs are active, and with no catch-up "
            "it then runs only the newest of the ticks that waited",
            fixes=({"catchup": True},), yields="overlap",
            default_here="a tick that comes while max_active_runs runs are active runs only "
                         "if it is the newest when a run ends"))
    if schedule.max_active_runs > MAX_CONCURRENCY:
        found.append(Problem(
            ("max_active_runs",), f"KFP allows at most {MAX_CONCURRENCY} concurrent runs of "
            "a recurring run", fixes=({"max_active_runs": MAX_CONCURRENCY},)))
    return found

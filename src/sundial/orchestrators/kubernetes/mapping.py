"""How a Schedule maps onto a Kubernetes CronJob, and where a CronJob would mean something else.

Pure: values in, values out. The CronJob controller reads ``spec.schedule`` with robfig/cron
on the wall clock of ``spec.timeZone`` (an IANA name; sundial never bakes a zone into the
cron string, e.g. ``CRON_TZ=``), checks about every ten seconds, and when it finds start times
it missed (controller down, CronJob suspended) starts only the most recent one, unless that is
older than ``startingDeadlineSeconds``. Against sundial's semantics (docs/schedules.md):

- **Cron** is written with explicit value lists (``portable_cron``), so robfig reads it as
  Debian cron does; the day-field rule it cannot carry is refused.
- **DST.** Kubernetes fires a wall time that a fall-back repeats twice (kubernetes issue
  121594) where Debian cron fires once, and treats skipped spring-forward times its own way; a
  cron that fires inside a DST change of its zone is refused (sundial mode runs it exactly).
- **Interval** becomes a UTC cron only when that is exact (``interval_as_cron``: the interval
  divides an hour or a day, or is a day or a week, and the grid sits on whole minutes).
- **Overlap.** ``skip`` = ``Forbid``, ``replace`` = ``Replace``, ``allow`` = ``Allow``, each
  with one active run at most (``max_active_runs=1``) except ``allow``; ``queue`` has no
  native form (a Forbid CronJob drops the tick; sundial would run it later).
- **Catch-up.** ``catchup=False`` is the controller's own behaviour (the newest missed tick
  runs); ``catchup=True`` (every missed tick) it cannot do.
- **Bounds.** A CronJob has no start, end or run count; a cron ``start_time``,
  ``end_time``, ``max_runs`` and ``run_once_start_time`` run in sundial mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sundial.definition.schedule import Schedule
from sundial.orchestrators.kfp_spec.timing import (
    fires_in_dst_change,
    interval_as_cron,
    portable_cron,
)

__all__ = ["CronJobTiming", "Refusal", "cronjob_timing", "refusals"]

#: The controller checks CronJobs about every 10 s: a shorter deadline may miss every tick.
MIN_DEADLINE = timedelta(seconds=10)

_POLICY = {"skip": "Forbid", "replace": "Replace", "allow": "Allow"}


@dataclass(frozen=True)
class Refusal:
    """A schedule a CronJob would run differently from sundial: the fields, why, the fix."""

    fields: tuple[str, ...]
    reason: str
    fix: str


@dataclass(frozen=True)
class CronJobTiming:
    """The scheduling fields of the CronJob's spec, and the tick due at deploy.

    ``due`` is the newest tick at or before the deploy instant that sundial would run at once
    (an interval whose ``start_time`` has passed, with ``catchup=False``); the controller never
    runs a tick from before the CronJob existed, so the backend starts that one itself.
    """

    schedule: str
    time_zone: str
    concurrency_policy: str
    starting_deadline_seconds: int | None
    due: datetime | None


def refusals(schedule: Schedule, now: datetime) -> list[Refusal]:
    """Every way a CronJob would run ``schedule`` differently from sundial's scheduler."""
    found: list[Refusal] = []
    sundial_mode = "use sundial mode"
    if schedule.kind == "once":
        found.append(Refusal(("run_once_start_time",),
                             "a CronJob repeats; it has no single run at an instant",
                             sundial_mode))
    if schedule.catchup:
        found.append(Refusal(("catchup",), "the CronJob controller starts only the newest "
                             "missed tick, never every one", "set catchup=False, or "
                             + sundial_mode))
    if schedule.overlap == "queue":
        found.append(Refusal(("overlap=queue",), "a CronJob cannot hold a tick until the "
                             "active run ends (Forbid drops it)",
                             'set overlap="skip", "replace" or "allow", or ' + sundial_mode))
    elif schedule.overlap != "allow" and schedule.max_active_runs != 1:
        found.append(Refusal(("max_active_runs",), f"a CronJob with concurrencyPolicy "
                             f"{_POLICY[schedule.overlap]} allows one active run, not "
                             f"{schedule.max_active_runs}", "set max_active_runs=1, "
                             'overlap="allow", or ' + sundial_mode))
    for name in ("end_time", "max_runs", "jitter"):
        if _set(schedule, name):
            found.append(Refusal((name,), f"a CronJob has no {name.replace('_', ' ')}",
                                 f"drop {name}, or {sundial_mode}"))
    if schedule.kind == "cron":
        found += _cron_refusals(schedule, now)
    elif schedule.kind == "interval":
        found += _interval_refusals(schedule, now)
    return found


def _set(schedule: Schedule, name: str) -> bool:
    value = getattr(schedule, name)
    return bool(value.total_seconds()) if isinstance(value, timedelta) else value is not None


def _cron_refusals(schedule: Schedule, now: datetime) -> list[Refusal]:
    assert schedule.cron_expression is not None
    found = []
    if schedule.start_time is not None:
        found.append(Refusal(("start_time",), "a CronJob has no start time: it would fire "
                             "before start_time, or skip the ticks sundial runs at once",
                             "drop start_time, or use sundial mode"))
    portable = portable_cron(schedule.cron_expression)
    if portable.problem is not None:
        found.append(Refusal(("cron_expression",), portable.problem,
                             "write the day-of-month without a leading '*' (e.g. 1-31/2), "
                             "or leave one day field '*'"))
    hit = fires_in_dst_change(schedule.cron_expression, schedule.timezone, now,
                              schedule.end_time)
    if hit is not None:
        found.append(Refusal(
            ("cron_expression", "timezone"),
            f"cron {schedule.cron_expression!r} fires inside a DST change of "
            f"{schedule.timezone} (first on {hit[0]:%Y-%m-%d} between {hit[0]:%H:%M} and "
            f"{hit[1]:%H:%M}), where Kubernetes fires a repeated time twice (kubernetes "
            "issue 121594) and Debian cron once", "choose hours outside the DST changes, "
            "use timezone='UTC', or use sundial mode"))
    return found


def _interval_refusals(schedule: Schedule, now: datetime) -> list[Refusal]:
    assert schedule.interval_second is not None and schedule.start_time is not None
    if schedule.start_time > now:
        return [Refusal(("start_time",), "a CronJob has no start time: it would fire the "
                        "interval's grid before start_time", "start now, or use sundial mode")]
    if interval_as_cron(schedule.start_time, schedule.interval_second) is None:
        return [Refusal(("interval_second", "start_time"),
                        f"every {schedule.interval_second} from "
                        f"{schedule.start_time.isoformat()} is no cron: the interval must "
                        "divide an hour or a day (or be a day or a week) and start on a whole "
                        "minute", "start on a whole minute with such an interval, or use "
                        "sundial mode")]
    return []


def cronjob_timing(schedule: Schedule, now: datetime) -> CronJobTiming:
    """The CronJob fields for ``schedule`` deployed at ``now`` (aware); call only when
    :func:`refusals` found nothing."""
    due = None
    if schedule.kind == "cron":
        assert schedule.cron_expression is not None
        fields = portable_cron(schedule.cron_expression).fields
        zone = schedule.timezone
    else:
        assert schedule.interval_second is not None and schedule.start_time is not None
        found = interval_as_cron(schedule.start_time, schedule.interval_second)
        assert found is not None
        fields, zone = found, "Etc/UTC"
        # The ticks from start_time to now: sundial runs the newest at once (catchup=False).
        passed = (now - schedule.start_time) // schedule.interval_second
        due = (schedule.start_time + passed * schedule.interval_second).astimezone(UTC)
    return CronJobTiming(schedule=" ".join(fields), time_zone=zone,
                         concurrency_policy=_POLICY.get(schedule.overlap, "Forbid"),
                         starting_deadline_seconds=None, due=due)

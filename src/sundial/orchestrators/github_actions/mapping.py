"""How a Schedule maps onto a GitHub Actions workflow, and what GitHub would do differently.

Pure: values in, values out. :func:`github_timing` gives the ``on.schedule`` entries and the
``concurrency`` block; :func:`problems` lists the combinations of fields GitHub would run other
than sundial would (the single fields it cannot honour are the backend's ``capabilities``).
What GitHub documents and what follows from it:

- **Cron** is POSIX cron, in UTC or in the entry's ``timezone`` (IANA). Runs are at least 5
  minutes apart ("the shortest interval you can run scheduled workflows is once every 5
  minutes"), so a cron that fires more often is refused.
- **DST.** GitHub documents one rule: in a zone with DST, "during spring-forward
  transitions, scheduled workflows in skipped hours advance to the next valid time" (a 2:30
  job runs at 3:00). Debian cron (sundial) does the same for a job at a fixed time of day,
  but a job whose hour or minute field starts with ``*`` follows elapsed time instead and
  does not fire for the skipped wall times; and GitHub says nothing about the hour that fall
  back repeats. So a cron is refused when, in the schedule's lifetime, it matches a skipped
  wall time where the two rules give different instants, or any repeated wall time.
- **Interval** has no native form; an interval that is a whole number of minutes dividing an
  hour, or of hours dividing a day, or one day or one week, is written as the equivalent UTC
  cron, anchored on ``start_time``; any other is refused.
- **Bounds.** GitHub has no start or end date: the workflow's first job (the *tick guard*)
  computes the tick's nominal time and skips the run, saying why in the log, when it falls
  before ``start_time`` or after ``end_time``.
- **Overlap** is a ``concurrency`` group, which holds one running and one *pending* run: a
  third run that arrives cancels the pending one. ``replace`` is ``cancel-in-progress: true``
  (exact for ``max_active_runs=1``); ``allow`` is no group; ``queue`` would lose ticks when
  more than one waits, so a ``queue`` the user asked for is refused and the default takes
  ``cancel-in-progress: false`` (one run waits, a newer tick replaces it), which deploy prints.
  ``skip`` and a ``max_active_runs`` above 1 have no native form.
- **Missed ticks**: GitHub creates no run for a tick while the workflow is disabled or the
  service is busy, and never catches up; ``catchup=True``, ``catchup_window``, ``jitter``,
  ``max_runs`` and run-once have no native form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice, pairwise
from zoneinfo import ZoneInfo

from cronsim import CronSim

from sundial.definition.schedule import Schedule
from sundial.orchestrators.airflow.mapping import DST_HORIZON, dst_windows
from sundial.orchestrators.cron_dialect import day_fields_problem
from sundial.orchestrators.native import Problem
from sundial.timing.cron import cron_fire_times, normalize_cron

__all__ = [
    "MIN_GAP",
    "Concurrency",
    "GithubTiming",
    "github_timing",
    "interval_crons",
    "posix_cron",
    "problems",
]

_SEVEN = re.compile(r"(?<![0-9])7(?![0-9])")
#: GitHub runs scheduled workflows at most once every 5 minutes.
MIN_GAP = timedelta(minutes=5)
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal",
                        "Etc/Zulu", "Zulu", "Etc/GMT", "GMT"})


@dataclass(frozen=True)
class Concurrency:
    """The workflow's ``concurrency`` block for scheduled runs."""

    cancel_in_progress: bool


@dataclass(frozen=True)
class GithubTiming:
    """The workflow's ``on.schedule`` entries (each a cron and an optional IANA zone) and its
    concurrency (``None``: runs never wait for each other)."""

    crons: tuple[str, ...]
    zone: str | None
    concurrency: Concurrency | None


def github_timing(schedule: Schedule) -> GithubTiming:
    """The workflow's timing for a schedule that :func:`problems` accepts."""
    zone: str | None = None
    if schedule.kind == "cron":
        assert schedule.cron_expression is not None
        crons: tuple[str, ...] = (posix_cron(normalize_cron(schedule.cron_expression)),)
        zone = None if schedule.timezone in _UTC_NAMES else schedule.timezone
    elif schedule.kind == "interval":
        assert schedule.interval_second is not None and schedule.start_time is not None
        found = interval_crons(schedule.start_time, schedule.interval_second)
        assert found is not None, "problems() refuses intervals without a cron form"
        crons = found
    else:
        raise ValueError("a run-once schedule has no GitHub Actions form")
    concurrency: Concurrency | None
    if schedule.overlap == "allow":
        concurrency = None
    elif schedule.overlap == "replace":
        concurrency = Concurrency(cancel_in_progress=True)
    else:  # queue, left at its default: one run waits, a newer tick replaces it
        concurrency = Concurrency(cancel_in_progress=False)
    return GithubTiming(crons=crons, zone=zone, concurrency=concurrency)


def problems(schedule: Schedule, now: datetime) -> list[Problem]:
    """The combinations of fields GitHub Actions would run differently from sundial.

    ``now`` (aware) stands in for ``start_time`` when the schedule has none: the DST check
    looks from there to ``end_time``, or 28 years ahead.
    """
    found: list[Problem] = []
    if schedule.kind == "cron":
        found += _cron_problems(schedule, now)
    if schedule.kind == "interval":
        assert schedule.interval_second is not None and schedule.start_time is not None
        step = schedule.interval_second
        if step < MIN_GAP:
            found.append(Problem(
                ("interval_second",), f"interval_second {step.total_seconds():g} s is under "
                "GitHub's shortest schedule interval of 5 minutes",
                fixes=({"interval_second": 300},)))
        elif interval_crons(schedule.start_time, step) is None:
            found.append(Problem(
                ("interval_second", "start_time"),
                f"an interval of {step} from {schedule.start_time.isoformat()} has no cron "
                "form (GitHub schedules by cron only)",
                advice="use a whole number of minutes that divides an hour, of hours that "
                       "divides a day, or one day or week, starting on a whole minute"))
    if schedule.overlap != "allow" and schedule.max_active_runs != 1:
        found.append(Problem(
            ("max_active_runs", f"overlap={schedule.overlap}"),
            f"a concurrency group runs one run at a time, not {schedule.max_active_runs}",
            fixes=({"max_active_runs": 1}, {"overlap": "allow"})))
    return found


def posix_cron(cron: str) -> str:
    """``cron`` as GitHub reads it: POSIX day-of-week is 0-6, so Debian's 7 (Sunday) becomes
    0; a field with a 7 is written as the list of the weekdays it matches."""
    minute, hour, dom, month, dow = cron.split()
    if not _SEVEN.search(dow) or dow.startswith("*"):
        return cron
    sunday = datetime(2000, 1, 2)  # a Sunday: the next 7 matches are one week
    days = sorted({(fire.isoweekday() % 7) for fire in islice(
        CronSim(f"0 0 * * {dow}", sunday - timedelta(seconds=1)), 7)})
    return " ".join((minute, hour, dom, month, ",".join(map(str, days))))


def _cron_problems(schedule: Schedule, now: datetime) -> list[Problem]:
    assert schedule.cron_expression is not None
    cron = normalize_cron(schedule.cron_expression)
    dow = cron.split()[4]
    found = []
    day_fields = day_fields_problem(cron, "POSIX cron (GitHub)")
    if day_fields is not None:
        found.append(day_fields)
    elif dow.startswith("*") and _SEVEN.search(dow):
        found.append(Problem(
            ("cron_expression",), f"cron {cron!r}: GitHub's day-of-week is 0-6",
            advice="write Sunday as 0, e.g. '0-6/7' → '0'"))
    gap = _shortest_gap(cron)
    if gap < MIN_GAP:
        found.append(Problem(
            ("cron_expression",),
            f"cron {cron!r} fires {int(gap.total_seconds() // 60)} minute(s) apart; GitHub "
            "runs a schedule at most once every 5 minutes",
            advice="fire at most every 5 minutes, e.g. cron '*/5 * * * *'"))
    start = schedule.start_time or now
    end = schedule.end_time or start + DST_HORIZON
    problem = _dst_problem(cron, schedule.timezone, start, end)
    if problem is not None:
        found.append(problem)
    return found


def _shortest_gap(cron: str) -> timedelta:
    """The shortest time between two fire times of ``cron`` on a wall clock without DST.

    Only the minute field and whether two hours in a row can both fire matter: two fire
    times closer than an hour apart are in the same or in adjacent hours.
    """
    minute, hour, *_days = cron.split()
    minutes = _matches(f"{minute} 0 * * *", 60)
    hours = _matches(f"0 {hour} * * *", 24 * 60)
    gaps = [b - a for a, b in pairwise(minutes)]
    adjacent = {h // 60 for h in hours}
    if any((h + 1) % 24 in adjacent for h in adjacent):
        gaps.append(60 - minutes[-1] + minutes[0])
    return timedelta(minutes=min(gaps, default=60))


def _matches(cron: str, span_minutes: int) -> list[int]:
    """Minutes after 2000-01-01 00:00 (naive) in ``[0, span)`` at which ``cron`` matches."""
    origin = datetime(2000, 1, 1)
    out = []
    for fire in CronSim(cron, origin - timedelta(seconds=1)):
        offset = int((fire - origin).total_seconds() // 60)
        if offset >= span_minutes:
            break
        out.append(offset)
    return out


def _dst_problem(cron: str, zone_name: str, start: datetime, end: datetime) -> Problem | None:
    zone = ZoneInfo(zone_name)
    for low, high in dst_windows(zone_name, start, end):
        skipped = _walls_matched(cron, low, high)
        if not skipped:
            continue
        at = f"{low:%Y-%m-%d} between {low:%H:%M} and {high:%H:%M}"
        if _is_gap(low, zone):
            jump = high.replace(tzinfo=zone).astimezone(UTC)
            span = high - low
            if _github_gap(cron, zone, jump, skipped, span) == _sundial_gap(cron, zone, jump,
                                                                             span):
                continue
            reason = (f"cron {cron!r} matches wall times that spring forward skips in "
                      f"{zone_name} (first on {at}): GitHub advances each to the next valid "
                      "time, Debian cron (sundial) follows elapsed time for a job whose hour "
                      "or minute field starts with '*'")
        else:
            reason = (f"cron {cron!r} matches wall times that fall back repeats in {zone_name} "
                      f"(first on {at}), and GitHub does not document how often it runs them")
        return Problem(("cron_expression", "timezone"), reason,
                       fixes=({"timezone": "UTC"},),
                       advice="choose hours outside the DST changes of the zone")
    return None


def _is_gap(wall: datetime, zone: ZoneInfo) -> bool:
    # PEP 495: in a gap, fold=0 reads a wall time with the offset before the jump (smaller);
    # in a repeated hour, fold=0 is the first pass (the larger, summer offset).
    before = wall.replace(tzinfo=zone, fold=0).utcoffset()
    after = wall.replace(tzinfo=zone, fold=1).utcoffset()
    assert before is not None and after is not None
    return before < after


def _walls_matched(cron: str, low: datetime, high: datetime) -> list[datetime]:
    """Naive wall minutes in ``[low, high)`` that ``cron`` matches (a DST window is at most a
    few hours, so this is bounded)."""
    out = []
    for fire in CronSim(cron, low - timedelta(seconds=1)):
        if fire >= high:
            break
        out.append(fire)
    return out


def _github_gap(cron: str, zone: ZoneInfo, jump: datetime, skipped: list[datetime],
                span: timedelta) -> set[datetime]:
    """GitHub's fire instants in ``[jump, jump + span]``: every skipped match advanced to the
    jump, and the ordinary matches after it."""
    after = jump.astimezone(zone).replace(tzinfo=None)
    normal = {w.replace(tzinfo=zone).astimezone(UTC)
              for w in _walls_matched(cron, after, after + span + timedelta(seconds=1))}
    return normal | {jump}


def _sundial_gap(cron: str, zone: ZoneInfo, jump: datetime, span: timedelta) -> set[datetime]:
    out = set()
    for fire in cron_fire_times(cron, zone, jump - timedelta(seconds=1)):
        if fire > jump + span:
            break
        out.add(fire)
    return out


def interval_crons(start: datetime, step: timedelta) -> tuple[str, ...] | None:
    """UTC cron entries that fire exactly at ``start + k·step``, or ``None`` when none do.

    Before ``start`` they fire too; the tick guard skips those.
    """
    first = start.astimezone(UTC)
    if first.second or first.microsecond or step % timedelta(minutes=1):
        return None
    minutes = int(step.total_seconds() // 60)
    if minutes < 60 and 60 % minutes == 0:
        values = range(first.minute % minutes, 60, minutes)
        return (f"{','.join(map(str, values))} * * * *",)
    if minutes % 60 == 0 and (24 * 60) % minutes == 0:
        hours = minutes // 60
        values = range(first.hour % hours, 24, hours)
        return (f"{first.minute} {','.join(map(str, values))} * * *",)
    if minutes == 7 * 24 * 60:
        return (f"{first.minute} {first.hour} * * {first.isoweekday() % 7}",)
    return None

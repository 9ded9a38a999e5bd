"""How a Schedule maps onto Airflow's own scheduling, and where Airflow would mean something else.

Pure: values in, values out. :func:`airflow_timing` gives the DAG arguments for a schedule;
:func:`disagreements` lists the schedules whose meaning Airflow would change, each with the
fields involved and the fix. Every rule below was checked against Airflow 2.10 and 3.x's own
timetables (``tests/orchestrators/test_airflow_real.py``):

- **Cron** uses ``CronTriggerTimetable`` (a run at each cron time, as cron does), not
  Airflow 2's default data-interval timetable (which runs one period late). Its cron is
  croniter, which differs from Debian cron (sundial's) in two places: the day-of-month /
  day-of-week "star rule", and wall times that a DST change skips or repeats.
- **Interval** uses ``DeltaDataIntervalTimetable`` in both versions, shifted back by one
  interval: its run for ``[t, t+Δ)`` starts at ``t+Δ``, so a start date of ``start_time - Δ``
  fires at ``start_time + k·Δ``. With catch-up off and a start off the 1970 grid (the seeds'
  ``start_time=datetime.now()``), the start date is the latest tick before deployment, so
  Airflow's first run is the next tick and stays on ``start_time``'s grid. (Airflow 3's
  ``DeltaTriggerTimetable`` was read and not used: with catch-up off it re-anchors the grid
  on "now" after any gap (and at a start already past); the data-interval one re-anchors on the
  Unix epoch after a gap, which is the same grid when ``start_time`` sits on it.)
- **Run once** is ``"@once"`` with ``start_date`` at the run's instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from cronsim import CronSim

from sundial.definition.schedule import Schedule
from sundial.orchestrators.cron_dialect import day_fields_problem
from sundial.orchestrators.native import Problem
from sundial.timing.cron import normalize_cron

__all__ = [
    "UNLIMITED_RUNS",
    "AirflowTiming",
    "airflow_timing",
    "disagreements",
    "dst_windows",
]

#: ``max_active_runs`` for ``overlap="allow"``: Airflow has no "unlimited", so a limit no
#: schedule reaches stands for it.
UNLIMITED_RUNS = 1_000_000

#: How far ahead the DST check looks when the schedule has no end: 28 years, after which the
#: Gregorian weekdays repeat (barring century years), so a weekday-and-date cron that hits a
#: DST change at all hits one in this span.
DST_HORIZON = timedelta(days=28 * 365 + 7)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

#: What Airflow does instead of ``overlap="queue"`` with catch-up off (overlap left default).
NEWEST_WHEN_BUSY = (
    "default here: a tick that comes while max_active_runs runs are active is not queued; "
    "once a slot frees, Airflow runs only the newest tick that came meanwhile")
#: What Airflow does instead of keeping ``start_time``'s grid after a gap (catchup left
#: default).
EPOCH_GRID_AFTER_GAP = (
    "default here: ticks fall at start_time + k·interval from the first one after deployment "
    "(one already past then does not run); after a pause or downtime Airflow runs the newest "
    "missed interval and continues on a grid counted from 1970-01-01T00:00Z")
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class AirflowTiming:
    """The scheduling arguments of the DAG, as values (the compiler writes them as code).

    ``kind`` picks the timetable: ``cron`` → ``CronTriggerTimetable(cron, timezone=zone)``,
    ``interval`` → ``DeltaDataIntervalTimetable(interval)``, ``once`` → ``"@once"``.
    ``start_date`` and ``end_date`` are aware UTC instants.
    """

    kind: str
    cron: str | None
    interval: timedelta | None
    zone: str
    start_date: datetime
    end_date: datetime | None
    catchup: bool
    max_active_runs: int


def airflow_timing(schedule: Schedule, created_at: datetime) -> AirflowTiming:
    """The DAG arguments that make Airflow fire ``schedule`` when sundial would.

    ``created_at`` (aware) stands in for ``start_time`` when the schedule has none: a cron
    schedule fires only after it was registered, as in sundial's own scheduler.
    """
    start = schedule.start_time or created_at.astimezone(UTC)
    end = schedule.end_time
    max_active = UNLIMITED_RUNS if schedule.overlap == "allow" else schedule.max_active_runs
    cron = interval = None
    if schedule.kind == "cron":
        assert schedule.cron_expression is not None
        cron = normalize_cron(schedule.cron_expression)
    elif schedule.kind == "interval":
        assert schedule.interval_second is not None
        interval = schedule.interval_second
        # Airflow starts the run of the period [t, t+Δ) at t+Δ: shift both bounds one period
        # back so the runs start at start_time + k·Δ and none starts after end_time.
        end = None if end is None else end - interval
        deployed = created_at.astimezone(UTC)
        if not schedule.catchup and start < deployed and (start - _EPOCH) % interval:
            # Off the 1970 grid with catch-up off, Airflow puts its first run on that grid
            # when a grid point falls between the latest tick and the moment it first looks
            # (its _skip_to_latest). Anchored on the latest tick before deployment, its first
            # run is the next tick, which it cannot move: the ticks stay start_time + k·Δ
            # (the tick already past at deployment does not run; "default here").
            start = start + ((deployed - start) // interval) * interval
        else:
            start = start - interval
    else:
        assert schedule.run_once_start_time is not None
        start = schedule.run_once_start_time
    return AirflowTiming(kind=schedule.kind, cron=cron, interval=interval,
                         zone=schedule.timezone, start_date=start.astimezone(UTC),
                         end_date=None if end is None else end.astimezone(UTC),
                         catchup=schedule.catchup, max_active_runs=max_active)


def disagreements(schedule: Schedule, created_at: datetime) -> list[Problem]:
    """Every way Airflow would run ``schedule`` differently from sundial's own scheduler.

    Field-level refusals (jitter, overlap="skip" ...) are the backend's capability table;
    these are the combinations of supported fields that Airflow still cannot express.
    """
    found: list[Problem] = []
    if schedule.kind in ("cron", "interval") and schedule.overlap == "queue" \
            and not schedule.catchup:
        # Airflow creates no run while max_active_runs are active; when a slot frees it
        # creates one for the newest tick only (catchup=False), dropping the ones between.
        found.append(Problem(
            ("overlap=queue", "catchup"),
            "with catchup=False Airflow does not queue ticks that come while "
            "max_active_runs runs are active: it runs only the newest once a slot frees",
            fixes=({"catchup": True}, {"overlap": "allow"}),
            yields="overlap",
            default_here=NEWEST_WHEN_BUSY))
    if schedule.kind == "cron":
        found += _cron_disagreements(schedule, created_at)
    if schedule.kind == "interval" and not schedule.catchup:
        found += _interval_disagreements(schedule)
    return found


def _cron_disagreements(schedule: Schedule, created_at: datetime) -> list[Problem]:
    assert schedule.cron_expression is not None
    cron = normalize_cron(schedule.cron_expression)
    hour = cron.split()[1]
    found = []
    day_fields = day_fields_problem(cron, "Airflow's croniter")
    if day_fields is not None:
        found.append(day_fields)
    if hour != "*":
        # With hour "*" both follow elapsed time across a DST change. Otherwise Airflow puts
        # a skipped wall time one hour later (sundial: right after the jump) and a repeated
        # one on its second pass (sundial: its first), and drops repeats of "*/n" minutes.
        start = schedule.start_time or created_at
        end = schedule.end_time or start + DST_HORIZON
        hits = [w for w in dst_windows(schedule.timezone, start, end) if _fires_within(cron, *w)]
        if hits:
            first = hits[0]
            found.append(Problem(
                ("cron_expression", "timezone"),
                f"cron {cron!r} fires inside a DST change of {schedule.timezone} (first on "
                f"{first[0]:%Y-%m-%d} between {first[0]:%H:%M} and {first[1]:%H:%M} local "
                "time), where Airflow fires at other instants than Debian cron",
                fixes=({"timezone": "UTC"},),
                advice="choose hours outside the DST changes, or an hour field of '*'",
                yields="timezone",
                default_here=(f"default here: on the nights {schedule.timezone} changes its "
                              "clocks, a wall time the change skips fires an hour later and "
                              "a repeated one fires on its second pass (Airflow's croniter)")))
    return found


def _interval_disagreements(schedule: Schedule) -> list[Problem]:
    assert schedule.interval_second is not None and schedule.start_time is not None
    step, start = schedule.interval_second, schedule.start_time
    if (start - _EPOCH) % step == timedelta(0):
        return []
    # After a gap (pause, scheduler down) with catchup=False, Airflow rounds "now" down to a
    # multiple of the interval since 1970-01-01 UTC, not since start_time.
    aligned = _EPOCH + ((start - _EPOCH) // step + 1) * step
    return [Problem(
        ("interval_second", "start_time", "catchup"),
        f"start_time {start.isoformat()} is not a whole number of intervals after "
        "1970-01-01T00:00Z, and with catchup=False Airflow re-aligns an interval schedule "
        "to that grid after a pause or downtime",
        fixes=({"start_time": aligned}, {"catchup": True}),
        yields="catchup",
        default_here=EPOCH_GRID_AFTER_GAP)]


def dst_windows(zone_name: str, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Naive wall-clock windows ``[from, to)`` of ``zone_name`` between two instants that a
    UTC-offset change skips (spring forward) or repeats (fall back), oldest first."""
    zone = ZoneInfo(zone_name)
    windows = []
    at = start.astimezone(UTC)
    stop = end.astimezone(UTC)
    offset = at.astimezone(zone).utcoffset()
    while at < stop:
        nxt = min(at + _DAY, stop)
        new = nxt.astimezone(zone).utcoffset()
        if new != offset:
            change = _bisect_change(zone, at, nxt)
            before, after = offset, new
            assert before is not None and after is not None
            # A change at instant T moves the wall clock from T+before to T+after; every wall
            # time between the two is skipped (after > before) or repeated (after < before).
            walls = sorted(((change + before).replace(tzinfo=None),
                            (change + after).replace(tzinfo=None)))
            windows.append((walls[0], walls[1]))
            offset = new
        at = nxt
    return windows


def _bisect_change(zone: ZoneInfo, lo: datetime, hi: datetime) -> datetime:
    """The first instant in ``(lo, hi]`` with ``hi``'s UTC offset, to the second."""
    target = hi.astimezone(zone).utcoffset()
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(zone).utcoffset() == target:
            hi = mid
        else:
            lo = mid
    return hi.replace(microsecond=0)


def _fires_within(cron: str, start: datetime, end: datetime) -> bool:
    """Does ``cron`` match a naive wall-clock minute in ``[start, end)``?"""
    # CronSim yields matches strictly after its start; changes fall on whole minutes.
    first = next(CronSim(cron, start - timedelta(seconds=1)), None)
    return first is not None and first < end

"""Fire times of a schedule: pick the kind's generator, then apply the bounds.

Everything inside is computed on aware UTC datetimes (Python compares two datetimes of one
zone by wall clock, which is wrong across a fall-back hour); times are put into the
schedule's zone only on the way out.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Protocol
from zoneinfo import ZoneInfo

from sundial.timing.cron import cron_fire_times
from sundial.timing.interval import interval_fire_times
from sundial.timing.zones import load_zone, to_utc

__all__ = ["TimingSpec", "fire_times", "next_fire_time"]

_JUST_BEFORE = timedelta(microseconds=1)


class TimingSpec(Protocol):
    """What the timing core reads from a schedule (``sundial.Schedule`` has all of it).

    Datetimes are aware (``Schedule`` stores UTC); ``timezone`` is an IANA name.
    """

    @property
    def kind(self) -> str: ...
    @property
    def cron_expression(self) -> str | None: ...
    @property
    def interval_second(self) -> timedelta | None: ...
    @property
    def run_once_start_time(self) -> datetime | None: ...
    @property
    def start_time(self) -> datetime | None: ...
    @property
    def end_time(self) -> datetime | None: ...
    @property
    def timezone(self) -> str: ...


def fire_times(
    schedule: TimingSpec,
    after: datetime,
    *,
    limit: int | None = None,
    until: datetime | None = None,
) -> Iterator[datetime]:
    """The fire times of ``schedule`` strictly after ``after``, oldest first.

    At most ``limit`` times (``None``: no limit), none later than ``until`` or the schedule's
    ``end_time`` (both inclusive), none earlier than its ``start_time`` (inclusive). Each time
    is aware, in the schedule's zone. A naive ``after`` or ``until`` is wall-clock time in that
    zone, like every naive datetime given to a ``Schedule``. With no limit, no ``until`` and no
    ``end_time`` the iterator is endless for cron and interval schedules.

    Pure: reads no clock. Interval times are found by arithmetic, so asking for the 10,000
    times after an instant years past ``start_time`` costs 10,000 steps, not years of them.

    :raises ValueError: ``limit`` is negative, or ``schedule`` is not one of the three kinds.
    :raises OverflowError: a naive ``after`` or ``until`` within hours of year 1 or 9999 has
        no UTC instant.
    """
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be 0 or more, got {limit}")
    zone = load_zone(schedule.timezone)
    after_utc = to_utc(after, zone)
    stop = _earliest(schedule.end_time, None if until is None else to_utc(until, zone))
    times = _unbounded(schedule, after_utc)
    if limit is not None:
        times = islice(times, limit)
    return _bounded(times, stop, zone)


def next_fire_time(schedule: TimingSpec, after: datetime) -> datetime | None:
    """The first fire time strictly after ``after`` (see :func:`fire_times`), or ``None``."""
    return next(fire_times(schedule, after, limit=1), None)


def _bounded(
    times: Iterator[datetime], stop: datetime | None, zone: ZoneInfo
) -> Iterator[datetime]:
    for fire in times:
        if stop is not None and fire > stop:
            return
        try:
            local = fire.astimezone(zone)
        except OverflowError:
            # Within hours of year 9999's end the wall clock of a zone east of UTC is already
            # in year 10000, which datetime cannot hold: the calendar has run out.
            return
        yield local


def _unbounded(schedule: TimingSpec, after: datetime) -> Iterator[datetime]:
    """UTC fire times after ``after`` and not before ``start_time``, with no upper bound."""
    start = None if schedule.start_time is None else schedule.start_time.astimezone(UTC)
    kind = schedule.kind
    if kind == "interval":
        if start is None or schedule.interval_second is None:
            raise ValueError("an interval schedule needs start_time and interval_second")
        # start_time is the anchor of the grid, so it is also the lower bound.
        return interval_fire_times(start, schedule.interval_second, after)
    if kind == "cron":
        if schedule.cron_expression is None:
            raise ValueError("a cron schedule needs cron_expression")
        # start_time is inclusive: search from just before it, so a fire time equal to it counts.
        # (start > after ≥ datetime.min, so stepping back cannot overflow.)
        if start is not None and start > after:
            after = start - _JUST_BEFORE
        return cron_fire_times(schedule.cron_expression, load_zone(schedule.timezone), after)
    if kind == "once":
        if schedule.run_once_start_time is None:
            raise ValueError("a run-once schedule needs run_once_start_time")
        once = schedule.run_once_start_time.astimezone(UTC)
        keep = once > after and (start is None or once >= start)
        return iter([once] if keep else [])
    raise ValueError(f"unknown schedule kind {kind!r}")


def _earliest(*bounds: datetime | None) -> datetime | None:
    given = [b for b in bounds if b is not None]
    return min(given) if given else None

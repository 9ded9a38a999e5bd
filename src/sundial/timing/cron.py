"""Cron fire times as instants: the wall times cron matches, read through the DST rules.

The rules are those of ``docs/schedules.md`` (Debian cron's), applied to each matching naive
wall time ``w`` of the schedule's zone:

- ``w`` occurs once: it fires then.
- ``w`` occurs twice (fall back): a *fixed-time* job fires at the first occurrence only; a
  *real-time* job (minute or hour field starts with ``*``) fires at both, since it fires
  whenever the wall clock shows a matching time.
- ``w`` never occurs (spring forward): a fixed-time job fires once, at the instant of the jump
  (all the fixed times one jump skips fire there together, once); a real-time job does not
  fire for it.

The fire times are the set of instants this gives; :func:`cron_fire_times` lists those after
an instant, oldest first. Our own evaluator rather than cronsim with guards: cronsim walks the
wall clock with DST fix-ups that hang in Pacific/Chatham and miss real times in 30- and
45-minute changes, and a guard can only stop a wrong answer, not give the right one. Here each
candidate wall time costs a bounded number of zone look-ups, and every candidate yields a
fire time unless it lies in a gap or in a repeated stretch already passed, both bounded by the
size of one change, so the work per fire time is bounded in every IANA zone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sundial.errors import ScheduleTimingError
from sundial.timing.cron_fields import NICKNAMES, CronFields, cron_fields, normalize_cron
from sundial.timing.wall import next_wall_time

__all__ = ["NICKNAMES", "cron_fire_times", "normalize_cron"]

_MINUTE = timedelta(minutes=1)
_SECOND = timedelta(seconds=1)
# Candidate wall times looked at between two fire times. By the rules, a candidate gives no new
# fire time only inside a gap, in a repeat already passed, or at most a day of both at the
# start: under 3,000 minutes in any zone. The bound turns a defect into an error, never a hang.
MAX_CANDIDATES_PER_FIRE = 100_000


def cron_fire_times(expression: str, zone: ZoneInfo, after: datetime) -> Iterator[datetime]:
    """The fire times of ``expression`` on the wall clock of ``zone``, strictly after ``after``.

    ``after`` must be aware. The times come out oldest first, each strictly later than the one
    before, as aware UTC datetimes; the iterator ends only when the calendar (year 9999) does.
    """
    fields = cron_fields(expression)
    last = after.astimezone(UTC)
    try:
        start = _first_candidate(last, zone)
    except OverflowError:
        # ``after`` is within hours of an end of the calendar and has no wall time in ``zone``:
        # near year 1, start from the first wall time; near year 9999, nothing is left.
        if last.year > 1:
            return
        start = datetime.min
    # Second passes of a real-time job wait here until every earlier instant has been given:
    # in wall order, the first pass of 02:46 comes after the second pass of 02:45.
    pending: list[datetime] = []
    candidate = next_wall_time(fields, start)
    looked_at = 0
    while candidate is not None:
        looked_at += 1
        if looked_at > MAX_CANDIDATES_PER_FIRE:
            raise ScheduleTimingError(
                f"cron_expression {expression!r} in {zone.key}: no fire time after {last} "
                f"within {MAX_CANDIDATES_PER_FIRE} wall-clock candidates (up to {candidate})",
                "this is a defect in sundial's time core; please report it with this message",
            )
        try:
            instants = _instants(fields, candidate, zone)
        except OverflowError:
            # The wall time has no UTC instant: within hours of year 1 it is before ``after``
            # anyway; within hours of year 9999 the calendar has run out.
            if candidate.year > 1:
                break
            instants = []
        if instants:
            first = instants[0]
            while pending and pending[0] <= first:
                fire = pending.pop(0)
                if fire > last:
                    last, looked_at = fire, 0
                    yield fire
            if first > last:
                last, looked_at = first, 0
                yield first
            pending.extend(instants[1:])
            pending.sort()
        try:
            candidate = next_wall_time(fields, candidate + _MINUTE)
        except OverflowError:
            break
    for fire in pending:
        if fire > last:
            last = fire
            yield fire


def _first_candidate(after: datetime, zone: ZoneInfo) -> datetime:
    """The earliest wall time that can still fire after ``after``.

    Usually the wall time of ``after``. But when ``after`` is in the first pass of a repeated
    stretch (fall back), the wall times of that stretch before it come again in the second
    pass: start that much earlier.
    """
    local = after.astimezone(zone)
    wall = local.replace(tzinfo=None)
    if local.fold == 0:
        second = wall.replace(fold=1, tzinfo=zone)
        repeat = local.utcoffset() or timedelta(0)
        repeat -= second.utcoffset() or timedelta(0)
        if repeat > timedelta(0) and _exists(second, zone):
            return wall - repeat
    return wall


def _instants(fields: CronFields, wall: datetime, zone: ZoneInfo) -> list[datetime]:
    """The fire instants (UTC, sorted) of the matching wall time ``wall``, by the rules."""
    earlier = wall.replace(tzinfo=zone)
    first = earlier.astimezone(UTC)
    later = wall.replace(tzinfo=zone, fold=1)
    if earlier.utcoffset() == later.utcoffset():
        return [first]  # the usual case: one reading, no change nearby
    second = later.astimezone(UTC)
    occurs = sorted({u for u in (first, second) if _shows(u, wall, zone)})
    if occurs:
        return occurs if fields.real_time else occurs[:1]
    # A gap: the clock jumps over ``wall``.
    return [] if fields.real_time else [_jump(min(first, second), max(first, second), zone)]


def _shows(instant: datetime, wall: datetime, zone: ZoneInfo) -> bool:
    return instant.astimezone(zone).replace(tzinfo=None, fold=0) == wall


def _exists(local: datetime, zone: ZoneInfo) -> bool:
    return _shows(local.astimezone(UTC), local.replace(tzinfo=None, fold=0), zone)


def _jump(before: datetime, after: datetime, zone: ZoneInfo) -> datetime:
    """The instant the offset changes between ``before`` and ``after`` (to the second).

    Bisection on the offset: a gap is at most a day long, so this is at most 17 steps.
    """
    offset_before = before.astimezone(zone).utcoffset()
    while after - before > _SECOND:
        middle = before + (after - before) // 2
        middle = middle.replace(microsecond=0)
        if middle <= before:
            middle = before + _SECOND
        if middle.astimezone(zone).utcoffset() == offset_before:
            before = middle
        else:
            after = middle
    return after

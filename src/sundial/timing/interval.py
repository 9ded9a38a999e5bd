"""Interval schedules: ``start + k·interval`` (k = 0, 1, …) in absolute time.

Absolute means the interval is elapsed time, not wall-clock time: a 1-hour interval fires
every 3600 s across a DST change, so its wall-clock times shift by the size of the change
(01:00, 03:00 on a spring-forward night in Europe; 02:00 twice on a fall-back night).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

__all__ = ["first_index_after", "interval_fire_times"]


def first_index_after(start: datetime, interval: timedelta, after: datetime) -> int:
    """The smallest k ≥ 0 with ``start + k·interval > after``.

    Computed by division, not by stepping, so a catch-up over years of ticks costs the same as
    one over a minute. timedelta floor division is exact integer arithmetic on microseconds.
    """
    if after < start:
        return 0
    return (after - start) // interval + 1


def interval_fire_times(
    start: datetime, interval: timedelta, after: datetime
) -> Iterator[datetime]:
    """The fire times strictly after ``after``, oldest first, as aware datetimes like ``start``.

    ``start`` and ``after`` must be aware and ``interval`` positive. Ends when the next time
    would pass year 9999.
    """
    k = first_index_after(start, interval, after)
    try:
        # timedelta arithmetic is exact integer microseconds, so the k-th time is exactly
        # start + k·interval however far the iteration runs: no float drift.
        offset = interval * k
        while True:
            yield start + offset
            offset += interval
    except OverflowError:
        return

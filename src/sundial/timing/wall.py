"""Naive wall-clock times that a cron expression matches, with no time zone in sight.

The calendar part of cron: the next minute whose fields all match, found field by field (a
day, then an hour, then a minute), never minute by minute. What those wall times mean as
instants in a zone with DST is :mod:`sundial.timing.cron`'s job.
"""

from __future__ import annotations

import calendar
from bisect import bisect_left
from datetime import date, datetime, timedelta

from sundial.timing.cron_fields import CronFields

__all__ = ["next_wall_time"]

# The Gregorian calendar repeats every 400 years (146,097 days, a whole number of weeks), so
# a day pattern that matches no day in 400 years never matches; a valid expression matches
# within 28 years (cron_fields refuses the others). The bound keeps every search finite.
_MAX_MONTHS = 400 * 12


def next_wall_time(fields: CronFields, at: datetime) -> datetime | None:
    """The earliest naive whole minute ``>= at`` that ``fields`` match, or ``None`` when the
    calendar (year 9999) runs out first. ``at`` is naive."""
    if at.second or at.microsecond:
        try:
            at = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
        except OverflowError:
            return None
    day = at.date()
    if _day_matches(fields, day):
        found = _time_at_or_after(fields, at.hour, at.minute)
        if found is not None:
            return datetime(day.year, day.month, day.day, *found)
    following = _next_day(fields, day)
    if following is None:
        return None
    return datetime(
        following.year, following.month, following.day, fields.hours[0], fields.minutes[0]
    )


def _time_at_or_after(fields: CronFields, hour: int, minute: int) -> tuple[int, int] | None:
    hours, minutes = fields.hours, fields.minutes
    i = bisect_left(hours, hour)
    if i < len(hours) and hours[i] == hour:
        j = bisect_left(minutes, minute)
        if j < len(minutes):
            return hour, minutes[j]
        i += 1
    return (hours[i], minutes[0]) if i < len(hours) else None


def _next_day(fields: CronFields, day: date) -> date | None:
    """The first matching day strictly after ``day``, month by month (bounded)."""
    year, month, first = day.year, day.month, day.day + 1
    for _ in range(_MAX_MONTHS):
        if month in fields.months:
            found = _first_day_in_month(fields, year, month, first)
            if found is not None:
                return date(year, month, found)
        year, month, first = (year + 1, 1, 1) if month == 12 else (year, month + 1, 1)
        if year > 9999:
            return None
    return None


def _first_day_in_month(fields: CronFields, year: int, month: int, first: int) -> int | None:
    weekday_of_first, length = calendar.monthrange(year, month)
    # calendar counts Monday as 0; cron counts Sunday as 0.
    sunday_based = (weekday_of_first + 1) % 7
    for day in range(first, length + 1):
        in_days = day in fields.days
        in_weekdays = (sunday_based + day - 1) % 7 in fields.weekdays
        if (in_days or in_weekdays) if fields.days_or else (in_days and in_weekdays):
            return day
    return None


def _day_matches(fields: CronFields, day: date) -> bool:
    if day.month not in fields.months:
        return False
    in_days = day.day in fields.days
    in_weekdays = day.isoweekday() % 7 in fields.weekdays
    return (in_days or in_weekdays) if fields.days_or else (in_days and in_weekdays)

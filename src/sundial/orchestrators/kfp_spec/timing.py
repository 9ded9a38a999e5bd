"""Schedule timing for the two KFP platforms, as values. Pure: no SDK, no I/O, no clock.

sundial's cron is Debian cron read on the wall clock of the schedule's zone. Kubeflow's
scheduler (robfig/cron, six fields, seconds first) reads it in its controller's zone, UTC by
default; Vertex reads a unix-cron with a ``TZ=`` prefix. Rather than trust that their
dialects agree with Debian cron on ranges, steps, names and the day-of-week 7, every field is
written out as the explicit list of values Debian cron means (``*/15`` → ``0,15,30,45``), or
``*`` when it means every value. What no list can carry is refused:

- **The day-field rule.** Debian cron requires *both* day fields to match when either starts
  with ``*`` (``*/2`` included) and *either* otherwise; robfig and unix-cron AND them only
  when one is a bare ``*``. Two restricted day fields that Debian ANDs have no equivalent.
- **Zones.** Kubeflow reads cron in one zone for the whole cluster. A schedule in another zone
  is the same schedule only when its fire times provably are: :func:`same_fire_times`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sundial.timing.cron_fields import cron_fields, normalize_cron
from sundial.timing.wall import next_wall_time

__all__ = [
    "HORIZON",
    "PortableCron",
    "fires_in_dst_change",
    "interval_as_cron",
    "kfp_cron",
    "once_as_cron",
    "portable_cron",
    "same_fire_times",
    "zone_offsets",
]

#: How far ahead a zone's offsets are checked when the schedule has no end: 28 years, after
#: which the Gregorian weekdays (and so every DST rule of the zone database) repeat.
HORIZON = timedelta(days=28 * 365 + 7)

_FULL = {"minutes": range(60), "hours": range(24), "days": range(1, 32),
         "months": range(1, 13), "weekdays": range(7)}


@dataclass(frozen=True)
class PortableCron:
    """A 5-field cron that means the same in Debian cron, robfig/cron and unix-cron, or the
    reason there is none (``fields`` is then empty)."""

    fields: tuple[str, ...]
    problem: str | None = None

    @property
    def text(self) -> str:
        return " ".join(self.fields)


def _field(values: set[int] | frozenset[int] | tuple[int, ...], full: range) -> str:
    return "*" if set(full) <= set(values) else ",".join(str(v) for v in sorted(values))


def portable_cron(expression: str) -> PortableCron:
    """``expression`` (Debian cron, nicknames allowed) with every field written explicitly."""
    cron = normalize_cron(expression)
    parsed = cron_fields(cron)  # weekdays 0-6: Debian's 7 (Sunday) is 0, where robfig stops
    fields = [_field(parsed.minutes, _FULL["minutes"]), _field(parsed.hours, _FULL["hours"]),
              _field(parsed.days, _FULL["days"]), _field(parsed.months, _FULL["months"]),
              _field(parsed.weekdays, _FULL["weekdays"])]
    dom, dow = fields[2], fields[4]
    if dom != "*" and dow != "*" and not parsed.days_or:
        return PortableCron((), (
            f"cron {cron!r} restricts both day fields and one starts with '*': Debian cron "
            "(sundial) fires when both match, the platform's cron when either does"))
    if (dom == "*" or dow == "*") and parsed.days_or:
        # One day field is every day, and Debian ORs the two (neither starts with '*'): every
        # day. (Were they AND-ed, the bare '*' makes the other dialects AND them too.)
        dom = dow = "*"
    fields[2], fields[4] = dom, dow
    return PortableCron(tuple(fields))


def kfp_cron(fields: tuple[str, ...]) -> str:
    """KFP's six-field form: seconds first (always 0, as sundial fires on whole minutes)."""
    return "0 " + " ".join(fields)


def zone_offsets(zone: str, start: datetime, end: datetime) -> set[timedelta]:
    """Every UTC offset ``zone`` has between two instants.

    Sampled once a day: no rule in the IANA database keeps an offset for less than a day, so
    no offset between two samples goes unseen.
    """
    tz = ZoneInfo(zone)
    found: set[timedelta] = set()
    at, stop = start.astimezone(UTC), end.astimezone(UTC)
    step = timedelta(days=1)
    while True:
        offset = at.astimezone(tz).utcoffset()
        assert offset is not None
        found.add(offset)
        if at >= stop:
            return found
        at = min(at + step, stop)


def same_fire_times(expression: str, zone: str, platform_zone: str, start: datetime,
                    end: datetime | None) -> bool:
    """Whether ``expression`` fires at the same instants read in ``zone`` (sundial) and in
    ``platform_zone`` (the platform's scheduler) between ``start`` and ``end``.

    Provably so when both zones keep one and the same offset all along; or when the cron
    names only minutes (every hour, every day) and every offset difference maps that set of
    minutes onto itself (``*/15`` under +05:30 → +30 min: still the quarter hours) — and,
    where an offset changes, the cron follows real time (its minute or hour field starts
    with ``*``), as Debian cron then does across a DST change.
    """
    stop = end if end is not None else start + HORIZON
    if zone == platform_zone:
        return len(zone_offsets(zone, start, stop)) == 1
    mine, theirs = zone_offsets(zone, start, stop), zone_offsets(platform_zone, start, stop)
    if len(mine) == 1 and mine == theirs:
        return True
    fields = portable_cron(expression).fields
    if not fields or fields[1:] != ("*", "*", "*", "*"):
        return False
    if (len(mine) > 1 or len(theirs) > 1) and not cron_fields(expression).real_time:
        return False
    minutes = {int(m) for m in fields[0].split(",")} if fields[0] != "*" else set(range(60))
    for a in mine:
        for b in theirs:
            shift = a - b
            if shift.total_seconds() % 60:
                return False
            delta = int(shift.total_seconds() // 60) % 60
            if {(m + delta) % 60 for m in minutes} != minutes:
                return False
    return True


def interval_as_cron(start: datetime, interval: timedelta) -> tuple[str, ...] | None:
    """A UTC cron that fires exactly at ``start + k·interval`` (from ``start`` on), or None.

    Exists when ``start`` is on a whole minute and the interval divides an hour (in minutes),
    a day (in hours), or is one day or one week.
    """
    at = start.astimezone(UTC)
    seconds = int(interval.total_seconds())
    if at.second or at.microsecond or interval.total_seconds() != seconds or seconds % 60:
        return None
    minutes = seconds // 60
    if minutes < 60 and 60 % minutes == 0:
        return (_field({m for m in range(60) if m % minutes == at.minute % minutes},
                       _FULL["minutes"]), "*", "*", "*", "*")
    if minutes % 60 == 0 and minutes < 24 * 60 and (24 * 60) % minutes == 0:
        hours = minutes // 60
        return (str(at.minute), _field({h for h in range(24) if h % hours == at.hour % hours},
                                       _FULL["hours"]), "*", "*", "*")
    if minutes == 24 * 60:
        return (str(at.minute), str(at.hour), "*", "*", "*")
    if minutes == 7 * 24 * 60:
        return (str(at.minute), str(at.hour), "*", "*", str(at.isoweekday() % 7))
    return None


def once_as_cron(at: datetime) -> tuple[str, ...] | None:
    """A UTC cron that fires at ``at`` (and a year later: bound it with an end time), or None
    when ``at`` is not on a whole minute."""
    utc = at.astimezone(UTC)
    if utc.second or utc.microsecond:
        return None
    return (str(utc.minute), str(utc.hour), str(utc.day), str(utc.month), "*")


def fires_in_dst_change(expression: str, zone: str, start: datetime,
                        end: datetime | None) -> tuple[datetime, datetime] | None:
    """The first wall-clock window ``[from, to)`` of a DST change in ``zone`` (between two
    instants) in which ``expression`` matches a minute, or None. Those are the wall times a
    change skips or repeats, where cron dialects part ways."""
    from sundial.orchestrators.airflow.mapping import dst_windows  # zone arithmetic only

    fields = cron_fields(expression)
    for low, high in dst_windows(zone, start, end if end is not None else start + HORIZON):
        found = next_wall_time(fields, low)
        if found is not None and found < high:
            return low, high
    return None

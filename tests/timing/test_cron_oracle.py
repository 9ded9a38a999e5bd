"""sundial's cron fire times against a brute-force evaluator of docs/schedules.md's rules.

The oracle shares no code with sundial's cron: it reads the fields itself, walks every UTC
minute of a window to learn what the wall clock shows, and applies the table of
docs/schedules.md to every wall-clock minute that matches:

- a real-time job (minute or hour field starts with ``*``) fires at every UTC minute whose wall
  time matches;
- a fixed-time job fires at the first UTC minute that shows a matching wall time, and for a
  matching wall time never shown, at the first UTC minute whose wall time is later (the jump).

Two tests against it: every offset change of 2000-2040 in every zone of cron_strategies.ZONES,
with a set of crons chosen to touch every rule; and hypothesis over random crons near random
changes, ``SUNDIAL_ORACLE_EXAMPLES`` examples (300 by default, derandomized so CI is
repeatable; set it higher for a longer hunt, with ``SUNDIAL_ORACLE_RANDOM=1`` for fresh random
ones); ``SUNDIAL_ORACLE_ALL_ZONES=1`` sweeps every IANA zone. A third, without the oracle,
checks totality in every IANA zone and year.
"""

from __future__ import annotations

import os
from bisect import bisect_right
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo, available_timezones

import pytest
from cron_strategies import DAYS, MONTHS, NICKNAMES, ZONES, expressions, transitions
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from sundial import Schedule
from sundial.errors import InvalidScheduleError
from sundial.timing import fire_times

EXAMPLES = int(os.environ.get("SUNDIAL_ORACLE_EXAMPLES", "300"))
# SUNDIAL_ORACLE_ALL_ZONES=1 sweeps all ~600 IANA zones (about 8 minutes on one core).
SWEEP_ZONES = (
    sorted(available_timezones()) if os.environ.get("SUNDIAL_ORACLE_ALL_ZONES") == "1" else ZONES
)
RANDOM = os.environ.get("SUNDIAL_ORACLE_RANDOM") == "1"
MINUTE = timedelta(minutes=1)
# The brute force looks this far beyond both ends of the compared window, so that a first
# pass or a jump just outside it is seen: longer than any fall-back of 2000-2040 in ZONES
# (Antarctica/Troll's 2 hours); a longer jump forward (Apia's day) needs no margin.
MARGIN = timedelta(hours=3)
NAMES = {**{name: i + 1 for i, name in enumerate(MONTHS)}, **{n: i for i, n in enumerate(DAYS)}}


class Cron:
    """A cron expression read the plain way: a set of values per field."""

    def __init__(self, expression: str) -> None:
        parts = NICKNAMES.get(expression.lower(), expression).upper().split()
        limits = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]
        self.sets = [self._values(p, lo, hi) for p, (lo, hi) in zip(parts, limits, strict=True)]
        self.sets[4] = {d % 7 for d in self.sets[4]}
        self.either_day = not (parts[2].startswith("*") or parts[4].startswith("*"))
        self.real_time = parts[0].startswith("*") or parts[1].startswith("*")

    @staticmethod
    def _values(text: str, low: int, high: int) -> set[int]:
        values: set[int] = set()
        for term in text.split(","):
            span, _, step = term.partition("/")
            ends = [NAMES[e] if e in NAMES else int(e) for e in span.split("-")] if span != "*" \
                else [low, high]
            first, last = ends[0], ends[-1]
            if len(ends) == 1 and step:
                last = high  # "a/n" is a-max/n
            values.update(range(first, last + 1, int(step or 1)))
        return values

    def matches(self, wall: datetime) -> bool:
        minutes, hours, days, months, weekdays = self.sets
        in_days = wall.day in days
        in_weekdays = wall.isoweekday() % 7 in weekdays
        day = (in_days or in_weekdays) if self.either_day else (in_days and in_weekdays)
        return wall.minute in minutes and wall.hour in hours and wall.month in months and day


class WallClock:
    """What the wall clock of ``zone`` shows at each UTC minute from ``begin`` to ``end``."""

    def __init__(self, zone: ZoneInfo, begin: datetime, end: datetime) -> None:
        begin = begin.replace(second=0, microsecond=0)
        self.zone = zone
        self.minutes = [begin + k * MINUTE for k in range((end - begin) // MINUTE)]
        self.walls = [u.astimezone(zone).replace(tzinfo=None, fold=0) for u in self.minutes]
        self.first_shown: dict[datetime, datetime] = {}
        for u, w in zip(self.minutes, self.walls, strict=True):
            self.first_shown.setdefault(w, u)
        # The latest wall time shown so far, minute by minute: the first minute at which it
        # passes a wall time is when the clock got past it (by showing it, or by jumping).
        self.latest = list(accumulate(self.walls, max))


def brute_force(expression: str, clock: WallClock, after: datetime, until: datetime) -> list[str]:
    """The rules' fire times in (after, until], minute by minute, as ISO strings.

    ``clock`` must cover more than the longest offset change on both sides of the window.
    """
    cron = Cron(expression)
    fires: set[datetime] = set()
    if cron.real_time:
        fires = {u for u, w in zip(clock.minutes, clock.walls, strict=True) if cron.matches(w)}
    else:
        wall = clock.walls[0]
        while wall <= clock.latest[-1]:
            if cron.matches(wall):
                if wall in clock.first_shown:
                    fires.add(clock.first_shown[wall])
                else:
                    past = bisect_right(clock.latest, wall)
                    if past < len(clock.minutes):
                        fires.add(clock.minutes[past])
            wall += MINUTE
    return [f.astimezone(clock.zone).isoformat() for f in sorted(fires) if after < f <= until]


def sundial_times(expression: str, zone_name: str, after: datetime, until: datetime) -> list[str]:
    schedule = Schedule(cron_expression=expression, timezone=zone_name)
    return [t.isoformat() for t in fire_times(schedule, after, until=until)]


# Crons that touch every rule: real-time by minute and by hour, fixed times in and around the
# hours where changes happen (midnight, 01:00-04:00, 22:00-23:00), and a day-field pair.
SWEEP_CRONS = [
    "*/7 * * * *",
    "30 * * * *",
    "45 */2 * * *",
    "*/15 0-4 * * *",
    "0,30 0-3,22-23 * * *",
    "15,50 1-3 * * *",
    "0 0 * * *",
    "20 2 1-15 * SUN",
]


@pytest.mark.parametrize("zone_name", SWEEP_ZONES)
def test_every_change_of_2000_to_2040_follows_the_rules(zone_name: str) -> None:
    zone = ZoneInfo(zone_name)
    for change in transitions(zone_name):
        after, until = change - timedelta(hours=3), change + timedelta(hours=3)
        clock = WallClock(zone, after - MARGIN, until + MARGIN)
        for expression in SWEEP_CRONS:
            assert sundial_times(expression, zone_name, after, until) == brute_force(
                expression, clock, after, until
            ), (expression, zone_name, change.isoformat())


@st.composite
def near_a_change(draw: st.DrawFn, zone_name: str) -> datetime:
    changes = transitions(zone_name)
    if not changes:  # UTC, Kathmandu: any instant of the years
        minutes = draw(st.integers(0, 21_000_000))
        return datetime(2000, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    change = draw(st.sampled_from(changes))
    seconds = draw(st.integers(-30 * 3600, 6 * 3600))
    return change + timedelta(seconds=seconds, microseconds=draw(st.sampled_from([0, 1])))


@settings(
    max_examples=EXAMPLES,
    derandomize=not RANDOM,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data(), expression=expressions(), zone_name=st.sampled_from(ZONES))
def test_random_crons_near_random_changes_follow_the_rules(
    data: st.DataObject, expression: str, zone_name: str
) -> None:
    try:
        Schedule(cron_expression=expression, timezone=zone_name)
    except InvalidScheduleError:
        assume(False)  # fields that never meet (day 31 in April): refused up front
    after = data.draw(near_a_change(zone_name), label="after")
    until = after + timedelta(hours=36)
    clock = WallClock(ZoneInfo(zone_name), after - MARGIN, until + MARGIN)
    expected = brute_force(expression, clock, after, until)
    # Shown by --hypothesis-show-statistics: how many cases compare some fire times.
    event("fire times compared: " + ("none" if not expected else "1-9" if len(expected) < 10
                                     else "10 or more"))
    assert sundial_times(expression, zone_name, after, until) == expected


@settings(
    max_examples=EXAMPLES // 3,
    derandomize=not RANDOM,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(
    expression=expressions(),
    zone_name=st.sampled_from(sorted(available_timezones())),
    after=st.datetimes(datetime(1, 1, 2), datetime(9999, 12, 30), timezones=st.just(UTC)),
)
def test_any_zone_any_year_gives_increasing_times_in_bounded_work(
    expression: str, zone_name: str, after: datetime
) -> None:
    # Totality, in every IANA zone and year (local mean time offsets with seconds included,
    # where the minute-by-minute oracle above does not apply): the times come back, each
    # later than the one before, and each is a wall time that exists in the zone.
    try:
        schedule = Schedule(cron_expression=expression, timezone=zone_name)
    except InvalidScheduleError:
        assume(False)
    found = list(fire_times(schedule, after, limit=5))
    instants = [t.astimezone(UTC) for t in found]
    assert all(a < b for a, b in zip([after, *instants], instants, strict=False))
    for fire in found:
        assert fire.astimezone(UTC).astimezone(fire.tzinfo).isoformat() == fire.isoformat()

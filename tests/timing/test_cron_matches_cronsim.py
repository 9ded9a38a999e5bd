"""Property: sundial's cron fire times are cronsim's, wherever cronsim keeps the written rules.

cronsim is the second oracle (the first, a brute-force evaluator of docs/schedules.md's rules,
is in test_cron_oracle.py). It is compared only where it agrees with the rules: between two
offset changes of the zone (from a day after one to the next), and without a range-with-step
whose start equals its end (cronsim reads ``20-20/1`` as 20 to 23; Vixie cron as 20). Near a
change, cronsim hangs in Pacific/Chatham and misses real times in 30- and 45-minute changes.
The instants are drawn anywhere in 1990-2060, and half of them within a day of a DST change.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from cron_strategies import NICKNAMES, ZONES, expressions, transitions
from cronsim import CronSim
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sundial import Schedule
from sundial.errors import InvalidScheduleError
from sundial.timing import fire_times
from sundial.timing.cron import normalize_cron

N = 6


@st.composite
def instants(draw: st.DrawFn, zone: str) -> datetime:
    changes = transitions(zone, 1990, 2060)
    near_a_change = draw(st.booleans())
    if changes and near_a_change:
        change = draw(st.sampled_from(changes))
        seconds = draw(st.integers(-86_400, 86_400))
        return change + timedelta(seconds=seconds, microseconds=draw(st.sampled_from([0, 1])))
    start = datetime(1990, 1, 1, tzinfo=UTC)
    return start + timedelta(seconds=draw(st.integers(0, 70 * 365 * 86_400)))


def oracle(
    expression: str, zone: ZoneInfo, after: datetime, n: int, cut: datetime | None
) -> list[datetime]:
    """cronsim's first ``n`` times after ``after``, up to ``cut`` (the next offset change).

    It stops at the cut, and at the first time not later than the one before: past an offset
    change cronsim can return earlier instants forever (the Pacific/Chatham hang).
    """
    five = NICKNAMES.get(expression, expression)
    kept: list[datetime] = []
    last = after
    for fire in CronSim(five, after.astimezone(zone)):
        instant = fire.astimezone(UTC)
        if (cut is not None and instant >= cut) or instant <= last or len(kept) == n:
            break
        kept.append(instant)
        last = instant
    return kept


@settings(
    max_examples=250,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    data=st.data(),
    expression=expressions(same_end_steps=False),
    zone_name=st.sampled_from(ZONES),
)
def test_cron_fire_times_equal_cronsim(
    data: st.DataObject, expression: str, zone_name: str
) -> None:
    try:
        normalize_cron(expression)
    except InvalidScheduleError:
        # Fields that are each fine but never meet (day 31 in April): rejected up front.
        assume(False)
    after = data.draw(instants(zone_name), label="after")
    zone = ZoneInfo(zone_name)
    schedule = Schedule(cron_expression=expression, timezone=zone_name)

    changes = transitions(zone_name, 1990, 2060)
    assume(not any(after - timedelta(days=1) < change <= after for change in changes))
    cut = min((change for change in changes if change > after), default=None)

    def before_cut(times: list[datetime]) -> list[datetime]:
        return [t for t in times if cut is None or t < cut]

    ours = list(fire_times(schedule, after, limit=N))

    assert before_cut([t.astimezone(UTC) for t in ours]) == oracle(
        expression, zone, after, N, cut
    )
    for fire in ours:
        # Every time comes out in the schedule's zone, and is a wall time that exists there.
        assert fire.tzinfo == zone
        assert fire.astimezone(UTC).astimezone(zone).isoformat() == fire.isoformat()


@settings(
    max_examples=120,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    expression=expressions(),
    zone_name=st.sampled_from(ZONES),
    data=st.data(),
)
def test_resuming_from_any_fire_time_continues_the_same_sequence(
    expression: str, zone_name: str, data: st.DataObject
) -> None:
    # The scheduler asks again from the last tick it handled; that must neither repeat nor
    # skip a tick, including from a tick inside a fall-back hour.
    try:
        normalize_cron(expression)
    except InvalidScheduleError:
        assume(False)
    after = data.draw(instants(zone_name), label="after")
    schedule = Schedule(cron_expression=expression, timezone=zone_name)
    whole = list(fire_times(schedule, after, limit=N))
    assume(len(whole) >= 2)
    cut = data.draw(st.integers(0, len(whole) - 2), label="cut")
    rest = list(fire_times(schedule, whole[cut], limit=len(whole) - cut - 1))
    assert [t.isoformat() for t in rest] == [t.isoformat() for t in whole[cut + 1 :]]

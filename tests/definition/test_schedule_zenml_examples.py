"""ZenML's documented Schedule examples, with only the import changed, build and preview.

They run on whatever zone this machine is in (as a ZenML user's would), so the checks are
about wall-clock shape in the schedule's zone, not fixed instants.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from pydantic import ValidationError

from sundial import Schedule


def test_cron_every_wednesday_at_14_05() -> None:
    schedule = Schedule(cron_expression="5 14 * * 3")
    times = schedule.preview()
    assert len(times) == 10
    for fire in times:
        assert fire.tzinfo == schedule.zone
        assert (fire.isoweekday(), fire.hour, fire.minute) == (3, 14, 5)
    assert all(b - a >= timedelta(days=6) for a, b in pairwise(times))


@pytest.mark.parametrize(
    ("expression", "check"),
    [
        ("30 3 1 * *", lambda t: (t.day, t.hour, t.minute) == (1, 3, 30)),
        ("15 14 * * 1-5", lambda t: t.isoweekday() <= 5 and (t.hour, t.minute) == (14, 15)),
        ("0 */6 * * *", lambda t: t.hour % 6 == 0 and t.minute == 0),
        ("0 9 * * 1,3", lambda t: t.isoweekday() in (1, 3) and (t.hour, t.minute) == (9, 0)),
        ("0 3 * * *", lambda t: (t.hour, t.minute) == (3, 0)),
    ],
)
def test_documented_cron_patterns(expression: str, check: object) -> None:
    # DST can move a time that falls in a skipped hour; these hours are outside that window
    # in every zone with a 02:00 change, which is why the check can be exact.
    schedule = Schedule(cron_expression=expression)
    after = datetime(2026, 6, 15, tzinfo=UTC)
    assert all(check(t) for t in schedule.preview(5, after=after))  # type: ignore[operator]


def in_utc(times: list[datetime]) -> list[datetime]:
    """Fire times as UTC instants: subtracting two times of one zone gives their wall-clock
    difference, and an aware time in a repeated hour never equals one of another zone."""
    return [t.astimezone(UTC) for t in times]


def test_interval_from_now_every_1800_seconds() -> None:
    schedule = Schedule(start_time=datetime.now(), interval_second=1800)
    assert schedule.kind == "interval"
    assert schedule.start_time is not None
    times = in_utc(schedule.preview(3, after=schedule.start_time - timedelta(seconds=1)))
    assert times[0] == schedule.start_time
    assert [b - a for a, b in pairwise(times)] == [timedelta(seconds=1800)] * 2


def test_preview_defaults_to_after_now() -> None:
    schedule = Schedule(start_time=datetime.now(), interval_second=1800)
    before = datetime.now(UTC)
    (first,) = schedule.preview(1)
    assert first > before - timedelta(seconds=1)


def test_run_once_tomorrow() -> None:
    when = datetime.now() + timedelta(days=1)
    schedule = Schedule(run_once_start_time=when)
    assert schedule.kind == "once"
    times = schedule.preview()
    assert len(times) == 1
    assert times[0].replace(tzinfo=None) == when


def test_daily_at_nine_for_the_next_thirty_days() -> None:
    schedule = Schedule(
        cron_expression="0 9 * * *",
        start_time=datetime.now(),
        end_time=datetime.now() + timedelta(days=30),
    )
    times = schedule.preview(100)
    # One 09:00 per day of the window; a DST change inside it can add or remove one.
    assert 29 <= len(times) <= 31
    assert schedule.end_time is not None and times[-1] <= schedule.end_time


@pytest.mark.parametrize("catchup", [True, False])
def test_hourly_with_catchup(catchup: bool) -> None:
    schedule = Schedule(cron_expression="0 * * * *", catchup=catchup)
    assert schedule.catchup is catchup
    assert all(t.minute == 0 for t in schedule.preview(3))


def test_airflow_style_start_in_the_past() -> None:
    schedule = Schedule(
        start_time=datetime.now() - timedelta(hours=1),
        interval_second=timedelta(minutes=30),
        catchup=False,
    )
    assert schedule.start_time is not None
    # Two ticks of the past hour are the missed ones the scheduler decides about.
    missed = schedule.preview(5, after=schedule.start_time - timedelta(seconds=1))
    assert missed[0] == schedule.start_time
    assert missed[2] - missed[0] == timedelta(hours=1)


def test_airflow_style_bounded_interval() -> None:
    now = datetime.now()
    schedule = Schedule(
        start_time=now - timedelta(hours=1),
        end_time=now + timedelta(hours=1),
        interval_second=timedelta(minutes=15),
        catchup=False,
    )
    assert schedule.start_time is not None and schedule.end_time is not None
    times = in_utc(schedule.preview(100, after=schedule.start_time - timedelta(seconds=1)))
    # Nine ticks in two hours; on a machine in a DST zone, "now + 1 hour" on the wall clock
    # spans another length on the night of a change, so the window is checked as read.
    assert times[0] == schedule.start_time
    assert [b - a for a, b in pairwise(times)] == [timedelta(minutes=15)] * (len(times) - 1)
    assert times[-1] <= schedule.end_time < times[-1] + timedelta(minutes=15)
    if schedule.end_time - schedule.start_time == timedelta(hours=2):
        assert len(times) == 9


def test_named_schedule() -> None:
    schedule = Schedule(name="daily-model-training-prod", cron_expression="0 3 * * *")
    assert schedule.name == "daily-model-training-prod"


def test_aware_start_time_in_utc() -> None:
    # ZenML's docs use datetime.now(pytz.UTC); any aware datetime means its instant.
    start = datetime.now(UTC)
    schedule = Schedule(start_time=start, interval_second=timedelta(days=1))
    assert schedule.start_time == start


def test_cron_with_interval_is_refused_where_zenml_only_warned() -> None:
    # ZenML accepts both and lets the orchestrator pick; sundial never silently ignores a
    # field, so it asks for one kind.
    with pytest.raises(ValidationError, match="exactly one kind"):
        Schedule(cron_expression="* * * * *", start_time=datetime.now(),
                 interval_second=timedelta(seconds=5))


def test_empty_schedule_is_refused_like_zenml() -> None:
    with pytest.raises(ValidationError):
        Schedule()


def test_importable_from_sundial_schedule() -> None:
    from sundial.schedule import Schedule as Again

    assert Again is Schedule

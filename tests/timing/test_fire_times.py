"""fire_times / next_fire_time: kinds, bounds, limits, and large catch-ups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from sundial import Schedule
from sundial.timing import fire_times, next_fire_time
from sundial.timing.interval import first_index_after

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def iso(times: object) -> list[str]:
    return [t.isoformat() for t in times]  # type: ignore[attr-defined]


class TestInterval:
    def test_start_is_the_first_fire_time(self) -> None:
        s = Schedule(interval_second=1800, start_time=T0, timezone="UTC")
        assert iso(fire_times(s, T0 - timedelta(days=3), limit=3)) == [
            "2026-01-01T00:00:00+00:00",
            "2026-01-01T00:30:00+00:00",
            "2026-01-01T01:00:00+00:00",
        ]

    def test_strictly_after(self) -> None:
        s = Schedule(interval_second=1800, start_time=T0, timezone="UTC")
        assert iso(fire_times(s, T0, limit=1)) == ["2026-01-01T00:30:00+00:00"]
        assert iso(fire_times(s, T0 + timedelta(microseconds=1), limit=1)) == [
            "2026-01-01T00:30:00+00:00"
        ]
        assert iso(fire_times(s, T0 - timedelta(microseconds=1), limit=1)) == [
            "2026-01-01T00:00:00+00:00"
        ]

    def test_catch_up_of_ten_thousand_ticks_years_after_start(self) -> None:
        # The scheduler's worst case: 10,000 missed ticks, far from start_time. The k-th tick
        # must be exactly start + k·interval (no drift), and the first one the first k after.
        s = Schedule(interval_second=timedelta(seconds=7, microseconds=3), start_time=T0,
                     timezone="UTC")
        after = datetime(2090, 6, 1, 12, 0, 0, 1, tzinfo=UTC)
        ticks = list(fire_times(s, after, limit=10_000))
        assert len(ticks) == 10_000
        k0 = first_index_after(T0, timedelta(seconds=7, microseconds=3), after)
        assert ticks[0] > after >= ticks[0] - timedelta(seconds=7, microseconds=3)
        assert ticks[0] == T0 + k0 * timedelta(seconds=7, microseconds=3)
        assert ticks[-1] == T0 + (k0 + 9_999) * timedelta(seconds=7, microseconds=3)
        assert all(b - a == timedelta(seconds=7, microseconds=3) for a, b in pairwise(ticks))

    def test_first_index_after_is_exact_at_the_boundary(self) -> None:
        step = timedelta(hours=1)
        assert first_index_after(T0, step, T0 - step) == 0
        assert first_index_after(T0, step, T0) == 1
        assert first_index_after(T0, step, T0 + 5 * step) == 6
        assert first_index_after(T0, step, T0 + 5 * step - timedelta(microseconds=1)) == 5

    def test_times_are_in_the_schedule_zone(self) -> None:
        s = Schedule(interval_second=3600, start_time=T0, timezone="Asia/Kolkata")
        (first,) = fire_times(s, T0 - timedelta(seconds=1), limit=1)
        assert first.tzinfo == ZoneInfo("Asia/Kolkata")
        assert first.isoformat() == "2026-01-01T05:30:00+05:30"

    def test_ends_at_the_end_of_the_calendar(self) -> None:
        start = datetime(9999, 12, 31, 20, 0, tzinfo=UTC)
        s = Schedule(interval_second=3600, start_time=start, timezone="UTC")
        assert len(list(fire_times(s, start))) == 3


class TestBounds:
    def test_end_time_is_inclusive(self) -> None:
        s = Schedule(interval_second=3600, start_time=T0, end_time=T0 + timedelta(hours=2),
                     timezone="UTC")
        assert iso(fire_times(s, T0 - timedelta(hours=1))) == [
            "2026-01-01T00:00:00+00:00",
            "2026-01-01T01:00:00+00:00",
            "2026-01-01T02:00:00+00:00",
        ]

    def test_until_is_inclusive_and_the_earlier_bound_wins(self) -> None:
        s = Schedule(interval_second=3600, start_time=T0, end_time=T0 + timedelta(hours=5),
                     timezone="UTC")
        assert len(list(fire_times(s, T0, until=T0 + timedelta(hours=3)))) == 3
        assert len(list(fire_times(s, T0, until=T0 + timedelta(hours=30)))) == 5

    def test_cron_start_time_is_inclusive(self) -> None:
        start = datetime(2026, 1, 1, 14, 5, tzinfo=UTC)
        s = Schedule(cron_expression="5 14 * * *", start_time=start, timezone="UTC")
        assert iso(fire_times(s, T0 - timedelta(days=30), limit=2)) == [
            "2026-01-01T14:05:00+00:00",
            "2026-01-02T14:05:00+00:00",
        ]

    def test_cron_start_time_with_a_fraction_excludes_the_whole_minute(self) -> None:
        start = datetime(2026, 1, 1, 14, 5, 0, 1, tzinfo=UTC)
        s = Schedule(cron_expression="5 14 * * *", start_time=start, timezone="UTC")
        assert iso(fire_times(s, T0, limit=1)) == ["2026-01-02T14:05:00+00:00"]

    def test_cron_between_bounds(self) -> None:
        s = Schedule(cron_expression="0 12 * * *", start_time=T0,
                     end_time=T0 + timedelta(days=3, hours=12), timezone="UTC")
        assert len(list(fire_times(s, T0 - timedelta(days=1)))) == 4

    def test_once(self) -> None:
        when = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
        s = Schedule(run_once_start_time=when, timezone="Europe/Berlin")
        assert iso(fire_times(s, T0)) == ["2026-05-01T11:00:00+02:00"]
        assert list(fire_times(s, when)) == []
        assert next_fire_time(s, when - timedelta(microseconds=1)) == when
        assert list(fire_times(s, T0, until=when - timedelta(seconds=1))) == []

    def test_limit(self) -> None:
        s = Schedule(cron_expression="* * * * *", timezone="UTC")
        assert len(list(fire_times(s, T0, limit=0))) == 0
        assert len(list(fire_times(s, T0, limit=7))) == 7
        with pytest.raises(ValueError, match="limit"):
            fire_times(s, T0, limit=-1)

    def test_no_limit_and_no_end_is_an_endless_iterator(self) -> None:
        s = Schedule(cron_expression="@hourly", timezone="UTC")
        times = fire_times(s, T0)
        assert [next(times) for _ in range(50)][-1] == T0 + timedelta(hours=50)


class TestNextFireTime:
    def test_cron(self) -> None:
        s = Schedule(cron_expression="5 14 * * 3", timezone="UTC")
        fire = next_fire_time(s, datetime(2026, 11, 23, tzinfo=UTC))
        assert fire is not None and fire.isoformat() == "2026-11-25T14:05:00+00:00"

    def test_none_after_the_end(self) -> None:
        s = Schedule(cron_expression="@daily", end_time=T0, timezone="UTC")
        assert next_fire_time(s, T0) is None

    def test_naive_after_is_wall_clock_in_the_schedule_zone(self) -> None:
        s = Schedule(cron_expression="0 9 * * *", timezone="America/New_York")
        aware = next_fire_time(s, datetime(2026, 7, 1, 8, 59, tzinfo=ZoneInfo("America/New_York")))
        naive = next_fire_time(s, datetime(2026, 7, 1, 8, 59))
        assert aware == naive
        assert naive is not None and naive.isoformat() == "2026-07-01T09:00:00-04:00"

    def test_aware_after_in_another_zone_counts_as_its_instant(self) -> None:
        s = Schedule(cron_expression="0 9 * * *", timezone="America/New_York")
        # 12:59 UTC is 08:59 in New York: the 09:00 run is next.
        fire = next_fire_time(s, datetime(2026, 7, 1, 12, 59, tzinfo=UTC))
        assert fire is not None and fire.isoformat() == "2026-07-01T09:00:00-04:00"


class TestNicknames:
    @pytest.mark.parametrize(
        ("nickname", "expected"),
        [
            ("@hourly", "2026-01-01T01:00:00+00:00"),
            ("@daily", "2026-01-02T00:00:00+00:00"),
            ("@midnight", "2026-01-02T00:00:00+00:00"),
            ("@weekly", "2026-01-04T00:00:00+00:00"),  # Sunday
            ("@monthly", "2026-02-01T00:00:00+00:00"),
            ("@yearly", "2027-01-01T00:00:00+00:00"),
            ("@annually", "2027-01-01T00:00:00+00:00"),
            ("@DAILY", "2026-01-02T00:00:00+00:00"),
        ],
    )
    def test_nickname(self, nickname: str, expected: str) -> None:
        s = Schedule(cron_expression=nickname, timezone="UTC")
        assert iso(fire_times(s, T0, limit=1)) == [expected]


def test_day_of_month_or_day_of_week_when_both_are_restricted() -> None:
    # Vixie cron: with both day fields restricted, a day matching either one fires;
    # with one of them starting with "*", both must match.
    either = Schedule(cron_expression="0 0 13 * 5", timezone="UTC")  # 13th or a Friday
    both = Schedule(cron_expression="0 0 */13 * 5", timezone="UTC")  # 1st/14th/27th and Friday
    assert iso(fire_times(either, T0, limit=3)) == [
        "2026-01-02T00:00:00+00:00",  # Friday
        "2026-01-09T00:00:00+00:00",  # Friday
        "2026-01-13T00:00:00+00:00",  # Tuesday the 13th
    ]
    assert iso(fire_times(both, T0, limit=2)) == [
        "2026-02-27T00:00:00+00:00",
        "2026-03-27T00:00:00+00:00",
    ]


def test_the_calendar_ends_in_zones_east_of_utc_too() -> None:
    start = datetime(9999, 12, 31, 17, 0, tzinfo=UTC)  # 22:30 in Kolkata
    s = Schedule(interval_second=3600, start_time=start, timezone="Asia/Kolkata")
    assert iso(fire_times(s, start - timedelta(seconds=1))) == ["9999-12-31T22:30:00+05:30",
                                                                 "9999-12-31T23:30:00+05:30"]
    c = Schedule(cron_expression="*/20 * * * *", timezone="Pacific/Kiritimati")
    assert len(list(fire_times(c, datetime(9999, 12, 31, 23, 0)))) == 2


def test_after_at_the_start_of_the_calendar() -> None:
    s = Schedule(cron_expression="0 0 1 1 *", timezone="America/New_York")
    first = next_fire_time(s, datetime.min.replace(tzinfo=UTC))
    # Year 1 in New York has no wall time before 04:56:02 UTC (the zone's offset then is New
    # York's local mean time, -04:56:02), and its first wall time is the midnight that fires.
    assert first is not None and first.isoformat() == "0001-01-01T00:00:00-04:56:02"
    assert next_fire_time(s, datetime.max.replace(tzinfo=UTC)) is None

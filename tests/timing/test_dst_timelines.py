"""DST transitions pinned as written timelines.

Each class spells out the clock change it crosses; each test compares fire times as ISO-8601
strings with their offsets, so a wrong offset is as visible as a wrong hour.

The rules (Debian cron's, as docs/schedules.md writes them, for cron; absolute time for
intervals):

- a job at a fixed wall-clock time that does not exist fires once, right after the jump;
- a job at a fixed wall-clock time that occurs twice fires once, on the first pass;
- a job whose minute or hour field starts with ``*`` (hourly, ``*/2`` hours) follows real
  time: it fires whenever the wall clock shows a matching time, and never for a time that
  was skipped;
- an interval is elapsed time: the offset changes, the spacing does not.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sundial import Schedule
from sundial.timing import fire_times, next_fire_time


def cron_times(expression: str, zone: str, after: str, n: int = 4) -> list[str]:
    schedule = Schedule(cron_expression=expression, timezone=zone)
    return [t.isoformat() for t in fire_times(schedule, datetime.fromisoformat(after), limit=n)]


def interval_times(seconds: int, zone: str, start: str, n: int = 5) -> list[str]:
    begin = datetime.fromisoformat(start)
    schedule = Schedule(interval_second=seconds, start_time=begin, timezone=zone)
    after = begin - timedelta(minutes=1)
    return [t.isoformat() for t in fire_times(schedule, after, limit=n)]


class TestBerlinSpringForward:
    # Europe/Berlin, Sunday 2026-03-29: at 02:00 CET the clock jumps to 03:00 CEST.
    #   2026-03-29T01:59:00+01:00
    #   2026-03-29T03:00:00+02:00   (02:00-02:59 does not exist)
    #   2026-03-29T03:01:00+02:00
    zone = "Europe/Berlin"

    def test_daily_job_in_the_skipped_hour_fires_right_after_the_jump(self) -> None:
        assert cron_times("30 2 * * *", self.zone, "2026-03-28T12:00:00+01:00", 3) == [
            "2026-03-29T03:00:00+02:00",
            "2026-03-30T02:30:00+02:00",
            "2026-03-31T02:30:00+02:00",
        ]

    def test_hourly_job_follows_real_time(self) -> None:
        # 01:00 CET and 03:00 CEST are one real hour apart: nothing is skipped.
        assert cron_times("0 * * * *", self.zone, "2026-03-29T00:30:00+01:00", 3) == [
            "2026-03-29T01:00:00+01:00",
            "2026-03-29T03:00:00+02:00",
            "2026-03-29T04:00:00+02:00",
        ]

    def test_every_two_hours_skips_the_missing_02_00(self) -> None:
        # The hour field starts with "*", so it is scheduled on real time: 02:00 never shows
        # on the wall clock, so the next run is 04:00, three real hours after 00:00.
        assert cron_times("0 */2 * * *", self.zone, "2026-03-28T23:30:00+01:00", 3) == [
            "2026-03-29T00:00:00+01:00",
            "2026-03-29T04:00:00+02:00",
            "2026-03-29T06:00:00+02:00",
        ]

    def test_interval_keeps_elapsed_time(self) -> None:
        assert interval_times(3600, self.zone, "2026-03-29T00:00:00+01:00", 4) == [
            "2026-03-29T00:00:00+01:00",
            "2026-03-29T01:00:00+01:00",
            "2026-03-29T03:00:00+02:00",
            "2026-03-29T04:00:00+02:00",
        ]


class TestBerlinFallBack:
    # Europe/Berlin, Sunday 2026-10-25: at 03:00 CEST the clock goes back to 02:00 CET.
    #   2026-10-25T02:59:00+02:00
    #   2026-10-25T02:00:00+01:00   (02:00-02:59 happens twice)
    #   2026-10-25T02:01:00+01:00
    zone = "Europe/Berlin"

    def test_daily_job_in_the_repeated_hour_fires_once(self) -> None:
        assert cron_times("30 2 * * *", self.zone, "2026-10-24T12:00:00+02:00", 3) == [
            "2026-10-25T02:30:00+02:00",
            "2026-10-26T02:30:00+01:00",
            "2026-10-27T02:30:00+01:00",
        ]

    def test_daily_job_asked_during_the_second_pass_does_not_fire_again(self) -> None:
        # 02:15 CET is after the first pass's 02:30 CEST: that run has happened, and the
        # second pass's 02:30 CET is not a new one.
        assert cron_times("30 2 * * *", self.zone, "2026-10-25T02:15:00+01:00", 2) == [
            "2026-10-26T02:30:00+01:00",
            "2026-10-27T02:30:00+01:00",
        ]

    def test_hourly_job_fires_in_both_passes(self) -> None:
        assert cron_times("0 * * * *", self.zone, "2026-10-25T00:30:00+02:00", 4) == [
            "2026-10-25T01:00:00+02:00",
            "2026-10-25T02:00:00+02:00",
            "2026-10-25T02:00:00+01:00",
            "2026-10-25T03:00:00+01:00",
        ]

    def test_every_two_hours_fires_at_both_02_00(self) -> None:
        assert cron_times("0 */2 * * *", self.zone, "2026-10-24T23:30:00+02:00", 4) == [
            "2026-10-25T00:00:00+02:00",
            "2026-10-25T02:00:00+02:00",
            "2026-10-25T02:00:00+01:00",
            "2026-10-25T04:00:00+01:00",
        ]

    def test_interval_keeps_elapsed_time(self) -> None:
        assert interval_times(3600, self.zone, "2026-10-25T00:00:00+02:00", 5) == [
            "2026-10-25T00:00:00+02:00",
            "2026-10-25T01:00:00+02:00",
            "2026-10-25T02:00:00+02:00",
            "2026-10-25T02:00:00+01:00",
            "2026-10-25T03:00:00+01:00",
        ]


class TestNewYorkSpringForward:
    # America/New_York, Sunday 2026-03-08: at 02:00 EST the clock jumps to 03:00 EDT.
    #   2026-03-08T01:59:00-05:00
    #   2026-03-08T03:00:00-04:00   (02:00-02:59 does not exist)
    zone = "America/New_York"

    def test_daily_job_in_the_skipped_hour_fires_right_after_the_jump(self) -> None:
        assert cron_times("30 2 * * *", self.zone, "2026-03-07T12:00:00-05:00", 2) == [
            "2026-03-08T03:00:00-04:00",
            "2026-03-09T02:30:00-04:00",
        ]

    def test_daily_job_just_before_the_skipped_hour_is_untouched(self) -> None:
        assert cron_times("59 1 * * *", self.zone, "2026-03-07T12:00:00-05:00", 2) == [
            "2026-03-08T01:59:00-05:00",
            "2026-03-09T01:59:00-04:00",
        ]

    def test_hourly_job_follows_real_time(self) -> None:
        assert cron_times("0 * * * *", self.zone, "2026-03-08T00:30:00-05:00", 3) == [
            "2026-03-08T01:00:00-05:00",
            "2026-03-08T03:00:00-04:00",
            "2026-03-08T04:00:00-04:00",
        ]

    def test_every_two_hours_skips_the_missing_02_00(self) -> None:
        assert cron_times("0 */2 * * *", self.zone, "2026-03-07T23:30:00-05:00", 3) == [
            "2026-03-08T00:00:00-05:00",
            "2026-03-08T04:00:00-04:00",
            "2026-03-08T06:00:00-04:00",
        ]

    def test_interval_keeps_elapsed_time(self) -> None:
        assert interval_times(3600, self.zone, "2026-03-08T00:00:00-05:00", 4) == [
            "2026-03-08T00:00:00-05:00",
            "2026-03-08T01:00:00-05:00",
            "2026-03-08T03:00:00-04:00",
            "2026-03-08T04:00:00-04:00",
        ]


class TestNewYorkFallBack:
    # America/New_York, Sunday 2026-11-01: at 02:00 EDT the clock goes back to 01:00 EST.
    #   2026-11-01T01:59:00-04:00
    #   2026-11-01T01:00:00-05:00   (01:00-01:59 happens twice)
    zone = "America/New_York"

    def test_daily_job_in_the_repeated_hour_fires_once(self) -> None:
        assert cron_times("30 1 * * *", self.zone, "2026-10-31T12:00:00-04:00", 2) == [
            "2026-11-01T01:30:00-04:00",
            "2026-11-02T01:30:00-05:00",
        ]

    def test_daily_job_asked_during_the_second_pass_does_not_fire_again(self) -> None:
        assert cron_times("30 1 * * *", self.zone, "2026-11-01T01:15:00-05:00", 1) == [
            "2026-11-02T01:30:00-05:00",
        ]

    def test_hourly_job_fires_in_both_passes(self) -> None:
        assert cron_times("0 * * * *", self.zone, "2026-11-01T00:30:00-04:00", 3) == [
            "2026-11-01T01:00:00-04:00",
            "2026-11-01T01:00:00-05:00",
            "2026-11-01T02:00:00-05:00",
        ]

    def test_every_two_hours_spans_three_real_hours(self) -> None:
        # The repeated hour is 01:00, which */2 never matches; 00:00 EDT to 02:00 EST is
        # three real hours.
        assert cron_times("0 */2 * * *", self.zone, "2026-10-31T23:30:00-04:00", 3) == [
            "2026-11-01T00:00:00-04:00",
            "2026-11-01T02:00:00-05:00",
            "2026-11-01T04:00:00-05:00",
        ]

    def test_interval_keeps_elapsed_time(self) -> None:
        assert interval_times(3600, self.zone, "2026-11-01T00:00:00-04:00", 4) == [
            "2026-11-01T00:00:00-04:00",
            "2026-11-01T01:00:00-04:00",
            "2026-11-01T01:00:00-05:00",
            "2026-11-01T02:00:00-05:00",
        ]


class TestLordHoweSpringForward:
    # Australia/Lord_Howe shifts by 30 minutes. Sunday 2026-10-04: at 02:00 (+10:30) the
    # clock jumps to 02:30 (+11:00).
    #   2026-10-04T01:59:00+10:30
    #   2026-10-04T02:30:00+11:00   (02:00-02:29 does not exist)
    zone = "Australia/Lord_Howe"

    def test_daily_job_in_the_skipped_half_hour_fires_right_after_the_jump(self) -> None:
        assert cron_times("15 2 * * *", self.zone, "2026-10-03T12:00:00+10:30", 2) == [
            "2026-10-04T02:30:00+11:00",
            "2026-10-05T02:15:00+11:00",
        ]

    def test_hourly_job_follows_real_time(self) -> None:
        # 02:00 does not exist; the next wall-clock hour is 03:00, 1.5 real hours later.
        assert cron_times("0 * * * *", self.zone, "2026-10-04T00:15:00+10:30", 3) == [
            "2026-10-04T01:00:00+10:30",
            "2026-10-04T03:00:00+11:00",
            "2026-10-04T04:00:00+11:00",
        ]

    def test_every_two_hours_skips_the_missing_02_00(self) -> None:
        assert cron_times("0 */2 * * *", self.zone, "2026-10-03T23:30:00+10:30", 3) == [
            "2026-10-04T00:00:00+10:30",
            "2026-10-04T04:00:00+11:00",
            "2026-10-04T06:00:00+11:00",
        ]

    def test_half_past_hourly_job_fires_at_02_30_right_at_the_jump(self) -> None:
        # The hour field is "*", so the job follows real time: the wall clock shows 02:30
        # (+11:00) right at the jump, so it fires there. (cronsim passes it by: it jumps "59
        # wall minutes" in absolute time from 01:31, which lands on 03:00.)
        assert cron_times("30 * * * *", self.zone, "2026-10-04T00:15:00+10:30", 3) == [
            "2026-10-04T00:30:00+10:30",
            "2026-10-04T01:30:00+10:30",
            "2026-10-04T02:30:00+11:00",
        ]

    def test_interval_keeps_elapsed_time(self) -> None:
        assert interval_times(3600, self.zone, "2026-10-04T00:00:00+10:30", 4) == [
            "2026-10-04T00:00:00+10:30",
            "2026-10-04T01:00:00+10:30",
            "2026-10-04T02:30:00+11:00",
            "2026-10-04T03:30:00+11:00",
        ]


class TestLordHoweFallBack:
    # Australia/Lord_Howe, Sunday 2026-04-05: at 02:00 (+11:00) the clock goes back to
    # 01:30 (+10:30).
    #   2026-04-05T01:59:00+11:00
    #   2026-04-05T01:30:00+10:30   (01:30-01:59 happens twice)
    zone = "Australia/Lord_Howe"

    def test_daily_job_in_the_repeated_half_hour_fires_once(self) -> None:
        assert cron_times("45 1 * * *", self.zone, "2026-04-04T12:00:00+11:00", 2) == [
            "2026-04-05T01:45:00+11:00",
            "2026-04-06T01:45:00+10:30",
        ]

    def test_daily_job_asked_during_the_second_pass_does_not_fire_again(self) -> None:
        assert cron_times("45 1 * * *", self.zone, "2026-04-05T01:35:00+10:30", 1) == [
            "2026-04-06T01:45:00+10:30",
        ]

    def test_hourly_job_follows_real_time(self) -> None:
        # The repeated half hour holds no wall-clock :00, so 01:00 (+11:00) to 02:00
        # (+10:30) is 1.5 real hours.
        assert cron_times("0 * * * *", self.zone, "2026-04-05T00:15:00+11:00", 3) == [
            "2026-04-05T01:00:00+11:00",
            "2026-04-05T02:00:00+10:30",
            "2026-04-05T03:00:00+10:30",
        ]

    def test_every_two_hours_fires_at_02_00_after_the_repeat(self) -> None:
        # Real time: the wall clock shows 02:00 (+10:30) half an hour after the repeat ends,
        # so it fires there. (cronsim steps whole hours in absolute time from 01:00 (+11:00),
        # lands on 01:30 and 02:30 (+10:30) and passes 02:00 by.)
        assert cron_times("0 */2 * * *", self.zone, "2026-04-04T23:30:00+11:00", 3) == [
            "2026-04-05T00:00:00+11:00",
            "2026-04-05T02:00:00+10:30",
            "2026-04-05T04:00:00+10:30",
        ]

    def test_half_past_hourly_job_fires_in_both_passes_of_01_30(self) -> None:
        # Like Berlin's hourly job in its repeated hour: real time shows 01:30 twice.
        assert cron_times("30 * * * *", self.zone, "2026-04-05T00:15:00+11:00", 4) == [
            "2026-04-05T00:30:00+11:00",
            "2026-04-05T01:30:00+11:00",
            "2026-04-05T01:30:00+10:30",
            "2026-04-05T02:30:00+10:30",
        ]

    def test_interval_keeps_elapsed_time(self) -> None:
        assert interval_times(1800, self.zone, "2026-04-05T01:00:00+11:00", 5) == [
            "2026-04-05T01:00:00+11:00",
            "2026-04-05T01:30:00+11:00",
            "2026-04-05T01:30:00+10:30",
            "2026-04-05T02:00:00+10:30",
            "2026-04-05T02:30:00+10:30",
        ]


class TestNaiveTimesAroundTransitions:
    # A naive datetime is wall-clock time in the schedule's zone; zoneinfo's fold=0 rule
    # decides the two hard cases.

    def test_naive_time_in_the_skipped_hour_reads_with_the_offset_before_the_jump(self) -> None:
        # 02:30 on 2026-03-29 does not exist in Berlin; read at +01:00 it is 01:30 UTC,
        # which the wall clock shows as 03:30 CEST.
        schedule = Schedule(
            run_once_start_time=datetime(2026, 3, 29, 2, 30), timezone="Europe/Berlin"
        )
        assert schedule.run_once_start_time is not None
        assert schedule.run_once_start_time.isoformat() == "2026-03-29T01:30:00+00:00"
        fire = next_fire_time(schedule, datetime(2026, 3, 29, 0, 0))
        assert fire is not None
        assert fire.isoformat() == "2026-03-29T03:30:00+02:00"

    def test_naive_time_in_the_repeated_hour_is_the_first_pass(self) -> None:
        schedule = Schedule(
            run_once_start_time=datetime(2026, 10, 25, 2, 30), timezone="Europe/Berlin"
        )
        assert schedule.run_once_start_time is not None
        assert schedule.run_once_start_time.isoformat() == "2026-10-25T00:30:00+00:00"

    def test_fold_1_picks_the_second_pass(self) -> None:
        schedule = Schedule(
            run_once_start_time=datetime(2026, 10, 25, 2, 30, fold=1), timezone="Europe/Berlin"
        )
        assert schedule.run_once_start_time is not None
        assert schedule.run_once_start_time.isoformat() == "2026-10-25T01:30:00+00:00"

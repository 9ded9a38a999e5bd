"""The Schedule model: fields, defaults, normalization and the checks made when it is built."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import tzlocal
from pydantic import ValidationError

from sundial import InvalidScheduleError, Schedule
from sundial.definition.schedule import as_schedule_error

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def error_of(**fields: object) -> InvalidScheduleError:
    """Build a Schedule that must fail, and return sundial's error from inside pydantic's."""
    with pytest.raises(ValidationError) as caught:
        Schedule(**fields)  # type: ignore[arg-type]
    return as_schedule_error(caught.value)


class TestFields:
    def test_zenml_fields_and_defaults(self) -> None:
        s = Schedule(cron_expression="5 14 * * 3", timezone="UTC")
        assert (s.name, s.start_time, s.end_time, s.interval_second) == (None, None, None, None)
        assert s.catchup is False and s.run_once_start_time is None
        assert s.overlap == "queue" and s.max_active_runs == 1
        assert s.catchup_window is None and s.jitter == timedelta(0) and s.max_runs is None

    def test_kind(self) -> None:
        assert Schedule(cron_expression="@daily").kind == "cron"
        assert Schedule(interval_second=60).kind == "interval"
        assert Schedule(run_once_start_time=T0).kind == "once"

    def test_durations_as_seconds_or_timedelta(self) -> None:
        s = Schedule(interval_second=1800, jitter=2.5, catchup_window=86400)
        assert s.interval_second == timedelta(minutes=30)
        assert s.jitter == timedelta(seconds=2.5)
        assert s.catchup_window == timedelta(days=1)
        assert Schedule(interval_second=timedelta(hours=1)).interval_second == timedelta(hours=1)

    def test_frozen(self) -> None:
        s = Schedule(cron_expression="@daily")
        with pytest.raises(ValidationError):
            s.cron_expression = "@hourly"

    def test_hashable_and_equal_by_value(self) -> None:
        a = Schedule(cron_expression="@daily", timezone="UTC")
        b = Schedule(cron_expression="@daily", timezone="UTC")
        assert a == b and hash(a) == hash(b)

    def test_unknown_field_is_refused_with_the_field_list(self) -> None:
        error = error_of(cron_expression="@daily", interval_seconds=60)
        assert "interval_seconds is not a Schedule field" in error.headline
        assert "interval_second" in error.fix

    def test_overlap_values(self) -> None:
        for value in ("queue", "skip", "replace", "allow"):
            assert Schedule(cron_expression="@daily", overlap=value).overlap == value
        error = error_of(cron_expression="@daily", overlap="drop")
        assert "overlap" in error.headline and '"skip"' in error.fix

    def test_replace_validates_the_result(self) -> None:
        s = Schedule(cron_expression="@daily", timezone="Europe/Berlin", name="nightly")
        t = s.replace(cron_expression="0 3 * * *")
        assert t.cron_expression == "0 3 * * *" and t.name == "nightly"
        assert t.timezone == "Europe/Berlin"
        with pytest.raises(InvalidScheduleError, match="minute"):
            s.replace(cron_expression="99 * * * *")
        with pytest.raises(InvalidScheduleError, match="exactly one kind"):
            s.replace(interval_second=60)

    def test_zone_object_is_stored_by_name(self) -> None:
        s = Schedule(cron_expression="@daily", timezone=ZoneInfo("Asia/Tokyo"))
        assert s.timezone == "Asia/Tokyo" and s.zone == ZoneInfo("Asia/Tokyo")


class TestTimeZones:
    def test_naive_datetimes_are_wall_clock_in_timezone_and_stored_as_utc(self) -> None:
        s = Schedule(interval_second=60, start_time=datetime(2026, 7, 1, 9, 0),
                     end_time=datetime(2026, 7, 2, 9, 0), timezone="America/New_York")
        assert s.start_time == datetime(2026, 7, 1, 13, 0, tzinfo=UTC)
        assert s.end_time == datetime(2026, 7, 2, 13, 0, tzinfo=UTC)
        assert s.start_time is not None and s.start_time.tzinfo is UTC

    def test_aware_datetimes_keep_their_instant(self) -> None:
        plus_two = timezone(timedelta(hours=2))
        s = Schedule(run_once_start_time=datetime(2026, 7, 1, 9, 0, tzinfo=plus_two),
                     timezone="America/New_York")
        assert s.run_once_start_time == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)
        assert s.run_once_start_time is not None and s.run_once_start_time.tzinfo is UTC

    def test_iso_strings_are_accepted(self) -> None:
        s = Schedule(run_once_start_time="2026-07-01T09:00:00", timezone="Europe/Berlin")  # type: ignore[arg-type]
        assert s.run_once_start_time == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)

    def test_zenml_utc_properties(self) -> None:
        s = Schedule(interval_second=60, start_time=datetime(2026, 7, 1, 9, 0),
                     end_time=datetime(2026, 7, 1, 10, 0), timezone="Europe/Berlin")
        assert s.utc_start_time == "2026-07-01T07:00:00+00:00"
        assert s.utc_end_time == "2026-07-01T08:00:00+00:00"


@pytest.fixture
def machine_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Make this process's local zone America/New_York, for datetime.now() and tzlocal alike."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    tzlocal.reload_localzone()
    yield "America/New_York"
    monkeypatch.undo()
    time.tzset()
    tzlocal.reload_localzone()


class TestDefaultZone:
    def test_timezone_defaults_to_the_machine_zone_by_name(self, machine_zone: str) -> None:
        assert Schedule(cron_expression="@daily").timezone == machine_zone

    def test_datetime_now_means_now(self, machine_zone: str) -> None:
        # ZenML users write start_time=datetime.now(): the local wall clock. Read in the
        # machine's zone, it must be the current instant, not one offset by hours.
        s = Schedule(start_time=datetime.now(), interval_second=1800)
        assert s.start_time is not None
        assert abs(s.start_time - datetime.now(UTC)) < timedelta(minutes=10)

    def test_interval_start_defaults_to_now(self) -> None:
        s = Schedule(interval_second=1800)
        assert s.start_time is not None and s.start_time.tzinfo is UTC
        assert abs(s.start_time - datetime.now(UTC)) < timedelta(minutes=10)

    def test_cron_start_does_not_default(self) -> None:
        assert Schedule(cron_expression="@daily").start_time is None

    def test_unknown_machine_zone_falls_back_to_utc(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def broken() -> str:
            raise LookupError("no zone configured")

        monkeypatch.setattr(tzlocal, "get_localzone_name", broken)
        assert Schedule(cron_expression="@daily").timezone == "UTC"
        monkeypatch.setattr(tzlocal, "get_localzone_name", lambda: None)
        assert Schedule(cron_expression="@daily").timezone == "UTC"
        monkeypatch.setattr(tzlocal, "get_localzone_name", lambda: "Not/AZone")
        assert Schedule(cron_expression="@daily").timezone == "UTC"


class TestChecks:
    def test_no_kind(self) -> None:
        error = error_of()
        assert "nothing about when to run" in error.headline
        assert "cron_expression" in error.fix and "interval_second" in error.fix
        assert "run_once_start_time" in error.fix

    def test_start_time_alone(self) -> None:
        error = error_of(start_time=T0)
        assert "start_time alone" in error.headline and "interval_second" in error.fix

    @pytest.mark.parametrize(
        "fields",
        [
            {"cron_expression": "@daily", "interval_second": 60},
            {"cron_expression": "@daily", "run_once_start_time": T0},
            {"interval_second": 60, "run_once_start_time": T0},
        ],
    )
    def test_more_than_one_kind(self, fields: dict[str, object]) -> None:
        error = error_of(**fields)
        assert "exactly one kind" in error.headline
        for name in fields:
            assert name in error.headline

    @pytest.mark.parametrize("interval", [0, -1, timedelta(0), timedelta(seconds=-5), 1e-9])
    def test_interval_not_positive(self, interval: object) -> None:
        error = error_of(interval_second=interval)
        assert "interval_second must be positive" in error.headline
        assert "interval_second=1800" in error.fix

    def test_bool_is_not_a_duration(self) -> None:
        assert "interval_second is bool True" in error_of(interval_second=True).headline

    # Issue 9, defect 6: each of these was coerced silently.
    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"catchup": "yes"}, "catchup is str 'yes', not True or False"),
            ({"catchup": 1}, "catchup is int 1, not True or False"),
            ({"max_runs": "3"}, "max_runs is str '3', not a whole number"),
            ({"max_active_runs": 2.0}, "max_active_runs is float 2.0, not a whole number"),
            ({"start_time": 12345}, "start_time is int 12345, not a datetime"),
            ({"start_time": "12345"}, "start_time is str '12345', not a datetime"),
            ({"end_time": "tomorrow"}, "end_time is str 'tomorrow', not a datetime"),
            ({"jitter": "PT10S"}, "jitter is str 'PT10S', not a number of seconds"),
            ({"jitter": float("nan")}, "jitter is nan, not a finite number of seconds"),
            ({"catchup_window": float("inf")}, "catchup_window is inf, not a finite number"),
        ],
    )
    def test_loose_types_are_refused(self, fields: dict[str, object], message: str) -> None:
        error = error_of(interval_second=60, **fields)
        assert message in error.headline
        assert next(iter(fields)) in error.fix

    def test_interval_as_an_iso_duration_string_is_refused(self) -> None:
        assert "not a number of seconds" in error_of(interval_second="PT10S").headline

    def test_iso_strings_are_datetimes_and_the_stored_form_reads_back(self) -> None:
        s = Schedule(interval_second=1.5, start_time="2026-05-01T09:00:00", timezone="UTC",
                     jitter=timedelta(seconds=2), catchup_window=60)  # type: ignore[arg-type]
        assert s.start_time == datetime(2026, 5, 1, 9, tzinfo=UTC)
        assert '"PT1.5S"' in s.to_json()  # durations are stored as ISO strings...
        assert Schedule.from_json(s.to_json()) == s  # ...which only from_json reads

    @pytest.mark.parametrize("n", [-1, 10_001, True, 2.0])
    def test_preview_is_bounded(self, n: object) -> None:
        s = Schedule(cron_expression="* * * * *", timezone="UTC")
        with pytest.raises(InvalidScheduleError, match="not a count from 0 to 10000"):
            s.preview(n)  # type: ignore[arg-type]
        assert len(s.preview(10_000, after=T0)) == 10_000

    @pytest.mark.parametrize("end_offset", [timedelta(0), timedelta(hours=-1)])
    def test_end_not_after_start(self, end_offset: timedelta) -> None:
        error = error_of(cron_expression="@daily", start_time=T0, end_time=T0 + end_offset,
                         timezone="UTC")
        assert error.headline.startswith("end_time 202")
        assert "is not after start_time 2026-01-01T00:00:00+00:00" in error.headline
        assert "end_time later than start_time" in error.fix

    def test_end_before_the_default_interval_start(self) -> None:
        error = error_of(interval_second=60, end_time=datetime(2000, 1, 1, tzinfo=UTC))
        assert "start_time defaults to the moment" in error.headline

    @pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../../etc/passwd", "/etc/localtime",
                                      "Europe/Berlin\x00", "utc+1"])
    def test_unknown_zone(self, zone: str) -> None:
        error = error_of(cron_expression="@daily", timezone=zone)
        assert "timezone" in error.headline and "IANA" in error.fix

    def test_bad_cron_names_the_field(self) -> None:
        error = error_of(cron_expression="5 14 * * 9")
        assert "day-of-week field '9' is not valid" in error.headline

    def test_negative_jitter(self) -> None:
        error = error_of(cron_expression="@daily", jitter=-1)
        assert "jitter must not be negative" in error.headline and "jitter=30" in error.fix
        assert Schedule(cron_expression="@daily", jitter=0).jitter == timedelta(0)

    @pytest.mark.parametrize("field", ["max_runs", "max_active_runs"])
    @pytest.mark.parametrize("value", [0, -3])
    def test_counts_below_one(self, field: str, value: int) -> None:
        error = error_of(cron_expression="@daily", **{field: value})
        assert f"{field} must be at least 1, got {value}" in error.headline
        assert field in error.fix

    def test_catchup_window_not_positive(self) -> None:
        error = error_of(cron_expression="@daily", catchup=True, catchup_window=0)
        assert "catchup_window must be positive" in error.headline

    def test_run_once_outside_the_bounds_would_never_fire(self) -> None:
        error = error_of(run_once_start_time=T0, start_time=T0 + timedelta(days=1),
                         end_time=T0 + timedelta(days=2))
        assert "never fire" in error.headline

    def test_empty_name(self) -> None:
        assert "name is empty" in error_of(cron_expression="@daily", name=" ").headline

    def test_out_of_range_once_in_utc(self) -> None:
        error = error_of(run_once_start_time=datetime(1, 1, 1), timezone="Asia/Tokyo")
        assert "run_once_start_time" in error.headline and "range" in error.headline

    def test_pydantic_message_carries_ours(self) -> None:
        # Inside pydantic, our error surfaces in ValidationError's text: headline and fix.
        with pytest.raises(ValidationError) as caught:
            Schedule(cron_expression="@daily", max_runs=0)
        assert "max_runs must be at least 1" in str(caught.value)
        assert "Fix: give max_runs a positive number" in str(caught.value)

    def test_several_problems_are_all_reported(self) -> None:
        error = error_of(cron_expression="61 * * * *", timezone="Nowhere/Town", jitter=-1)
        assert "minute" in error.headline and "Nowhere/Town" in error.headline
        assert "jitter" in error.headline

"""Schedule.to_json / from_json: the stored form, exact round trips, and version checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sundial import InvalidScheduleError, Schedule
from sundial.definition.schedule import SCHEMA_VERSION
from sundial.errors import StoreError, SundialError

EXAMPLES = [
    Schedule(cron_expression="5 14 * * 3", timezone="Europe/Berlin"),
    Schedule(
        name="nightly",
        cron_expression="@daily",
        start_time=datetime(2026, 3, 29, 2, 30),
        end_time=datetime(2027, 1, 1, 0, 0, 0, 1),
        catchup=True,
        timezone="Australia/Lord_Howe",
        overlap="replace",
        max_active_runs=3,
        catchup_window=timedelta(days=2, microseconds=7),
        jitter=timedelta(seconds=12.5),
        max_runs=99,
    ),
    Schedule(interval_second=timedelta(days=400, microseconds=1), start_time=datetime(1, 1, 1),
             timezone="UTC"),
    Schedule(run_once_start_time=datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
             timezone="Pacific/Kiritimati", overlap="skip"),
]


@pytest.mark.parametrize("schedule", EXAMPLES)
def test_round_trip_is_exact(schedule: Schedule) -> None:
    text = schedule.to_json()
    again = Schedule.from_json(text)
    assert again == schedule
    assert again.model_dump() == schedule.model_dump()
    assert again.to_json() == text
    for field in ("start_time", "end_time", "run_once_start_time"):
        value = getattr(again, field)
        assert value is None or value.tzinfo is UTC


def test_document_shape() -> None:
    document = json.loads(EXAMPLES[1].to_json())
    assert document["schema_version"] == SCHEMA_VERSION == 1
    assert document["timezone"] == "Australia/Lord_Howe"
    assert set(document) == {"schema_version", *Schedule.model_fields}


def test_bytes_are_accepted() -> None:
    assert Schedule.from_json(EXAMPLES[0].to_json().encode()) == EXAMPLES[0]


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    moment = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1),
                          timezones=st.sampled_from([None, UTC]))
    duration = st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=10**6))
    kind = draw(st.sampled_from(["cron", "interval", "once"]))
    fields: dict[str, object] = {
        "timezone": draw(st.sampled_from(["UTC", "Europe/Berlin", "Asia/Kathmandu",
                                          "America/St_Johns"])),
        "name": draw(st.none() | st.text(min_size=1).filter(str.strip)),
        "catchup": draw(st.booleans()),
        "overlap": draw(st.sampled_from(["queue", "skip", "replace", "allow"])),
        "max_active_runs": draw(st.integers(1, 10**6)),
        "catchup_window": draw(st.none() | duration),
        "jitter": draw(st.just(timedelta(0)) | duration),
        "max_runs": draw(st.none() | st.integers(1, 10**9)),
    }
    if kind == "cron":
        fields["cron_expression"] = draw(st.sampled_from(["* * * * *", "@weekly",
                                                          "0-30/7 1,2 */3 JAN-MAR mon"]))
    elif kind == "interval":
        fields["interval_second"] = draw(duration)
        fields["start_time"] = draw(moment)
    else:
        fields["run_once_start_time"] = draw(moment)
    return Schedule(**fields)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(schedules())
def test_round_trip_property(schedule: Schedule) -> None:
    again = Schedule.from_json(schedule.to_json())
    assert again == schedule and again.to_json() == schedule.to_json()


def test_newer_version_is_refused_with_a_fix() -> None:
    document = json.loads(EXAMPLES[0].to_json())
    document["schema_version"] = SCHEMA_VERSION + 1
    with pytest.raises(StoreError) as caught:
        Schedule.from_json(json.dumps(document))
    assert f"schema_version {SCHEMA_VERSION + 1}" in caught.value.headline
    assert "upgrade sundial" in caught.value.fix


@pytest.mark.parametrize("version", [None, 0, -1, "1", 1.0, True])
def test_missing_or_unknown_version_is_refused(version: object) -> None:
    document = json.loads(EXAMPLES[0].to_json())
    if version is None:
        del document["schema_version"]
    else:
        document["schema_version"] = version
    with pytest.raises(StoreError, match="schema_version") as caught:
        Schedule.from_json(json.dumps(document))
    assert caught.value.fix


@pytest.mark.parametrize("text", ["", "{", "[1, 2]", "null", b"\xff\xfe"])
def test_not_a_schedule_document(text: str | bytes) -> None:
    with pytest.raises(StoreError) as caught:
        Schedule.from_json(text)
    assert caught.value.headline and caught.value.fix


def test_invalid_fields_raise_sundials_error() -> None:
    document = json.loads(EXAMPLES[0].to_json())
    document["cron_expression"] = "61 * * * *"
    with pytest.raises(InvalidScheduleError, match="minute"):
        Schedule.from_json(json.dumps(document))
    document["cron_expression"] = "@daily"
    document["surprise"] = 1
    with pytest.raises(SundialError, match="surprise is not a Schedule field"):
        Schedule.from_json(json.dumps(document))

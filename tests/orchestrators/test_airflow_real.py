"""The Airflow backend against real Airflow 2.10 and 3.x (the venvs of scripts/airflow-venvs).

Each Airflow gets its own AIRFLOW_HOME with SQLite (`airflow db migrate` first). The tests show:
(a) the generated DAGs load in Airflow's DagBag with the expected timetable, catchup, start and
end; (b) Airflow's own next-run computation agrees with ``Schedule.preview``, across DST changes
in Europe/Berlin and New York, and disagrees where the backend refuses; (c) ``airflow dags test``
runs the pipeline through ``sundial step run`` into a sundial store; (d) the real scheduler fires
an every-minute schedule; (e) registering, pausing, resuming and deleting through sundial reach
Airflow. Without the venvs these tests skip, or fail under SUNDIAL_REQUIRE_AIRFLOW=1 or CI=true.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sundial import Schedule
from sundial.config import Settings
from sundial.engine.artifacts import load_artifact
from sundial.engine.loader import load_pipeline
from sundial.orchestrators.airflow import AirflowOrchestrator, DagSpec, compile_dag, deploy_airflow
from sundial.orchestrators.airflow.mapping import airflow_timing
from sundial.store import tables as t
from sundial.store.records import RunRecord
from sundial.store.store import Store

ROOT = Path(__file__).parents[2]
PROBE = Path(__file__).with_name("airflow_probe.py")
REQUIRE = os.environ.get("SUNDIAL_REQUIRE_AIRFLOW") == "1" or os.environ.get("CI") == "true"
SUNDIAL = str(Path(sys.executable).parent / "sundial")

FLOW = '''
from typing import Annotated
from sundial import pipeline, step

@step(enable_cache=False)
def load(n: int = 3) -> tuple[Annotated[list[int], "x"], Annotated[int, "size"]]:
    print("loading", n)
    return list(range(n)), n

@step(enable_cache=False)
def total(x: list[int], size: int, fail: bool = False) -> int:
    if fail:
        raise RuntimeError("total failed on purpose")
    return sum(x) + size

@pipeline(enable_cache=False)
def flow(n: int = 3, fail: bool = False, tag: dict = {"a": "{{ not jinja }}"}):
    x, size = load(n=n)
    total(x, size, fail=fail)
'''


@dataclass
class Airflow:
    """One real Airflow installation with its own home and metadata database."""

    major: str
    bin: Path
    home: Path
    port: int

    def env(self, dags: Path) -> dict[str, str]:
        env = {**os.environ,
               # The executors start `airflow tasks run ...` by name.
               "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
               "AIRFLOW_HOME": str(self.home),
               "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
               "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
               # Notice new DAG files within seconds, not minutes.
               "AIRFLOW__SCHEDULER__DAG_DIR_LIST_INTERVAL": "5",
               "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "5",
               "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
               "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "5"}
        if self.major == "3":
            # Airflow 3's workers report to the API server; it and the scheduler share a key.
            env |= {"AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                    "AIRFLOW__CORE__PARALLELISM": "4",
                    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL":
                        f"http://127.0.0.1:{self.port}/execution/",
                    "AIRFLOW__API_AUTH__JWT_SECRET": "sundial-test-secret-0123456789abcdef"}
        return env

    def run(self, *args: str, dags: Path, timeout: float = 240) -> subprocess.CompletedProcess[
            str]:
        return subprocess.run([str(self.bin / "airflow"), *args], env=self.env(dags),
                              capture_output=True, text=True, timeout=timeout, check=False)

    def probe(self, dags: Path, runs: int = 8) -> dict[str, Any]:
        done = subprocess.run([str(self.bin / "python"), str(PROBE), str(dags), str(runs)],
                              env=self.env(dags), capture_output=True, text=True, timeout=240,
                              check=False)
        lines = [ln for ln in done.stdout.splitlines() if ln.startswith("SUNDIAL-PROBE ")]
        assert lines, f"probe failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
        result: dict[str, Any] = json.loads(lines[-1].removeprefix("SUNDIAL-PROBE "))
        return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module", params=["2", "3"], ids=["airflow2", "airflow3"])
def airflow(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Airflow:
    major = str(request.param)
    venv = ROOT / ".airflow" / major
    if not (venv / "bin" / "airflow").exists():
        message = (f"Airflow {major} is not installed in .airflow/{major}: run "
                   "scripts/airflow-venvs (it creates .airflow/2 and .airflow/3)")
        if REQUIRE:
            pytest.fail(message + " (required under SUNDIAL_REQUIRE_AIRFLOW=1 / CI)")
        pytest.skip(message)
    found = Airflow(major, venv / "bin", tmp_path_factory.mktemp(f"airflow{major}-home"),
                    _free_port())
    migrated = found.run("db", "migrate", dags=found.home / "dags", timeout=300)
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    return found


@pytest.fixture
def flow_file(tmp_path: Path) -> Path:
    path = tmp_path / "airflow_flow.py"
    path.write_text(FLOW)
    return path


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def iso_utc(values: list[Any]) -> list[str]:
    return [(datetime.fromisoformat(v) if isinstance(v, str) else v).astimezone(UTC).isoformat()
            for v in values]


# -- (a) and (b): what Airflow makes of the DAG files -------------------------------------------

#: Midnight UTC (naive, in the schedule's zone) 30 days from now: a start in the future.
_A_MIDNIGHT_AHEAD = (datetime.now(UTC) + timedelta(days=30)).replace(
    hour=0, minute=0, second=0, microsecond=0, tzinfo=None)

#: Schedules the backend accepts: Airflow must fire each exactly when sundial would.
AGREE: dict[str, Schedule] = {
    # Hourly across Berlin's spring-forward (02:00 → 03:00 on 2026-03-29): elapsed time.
    "berlin_hourly_spring": Schedule(cron_expression="0 * * * *", timezone="Europe/Berlin",
                                     start_time=datetime(2026, 3, 29, 0), catchup=True),
    # ... and across fall-back (03:00 → 02:00 on 2026-10-25): the repeated hour fires twice.
    "berlin_hourly_fall": Schedule(cron_expression="0 * * * *", timezone="Europe/Berlin",
                                   start_time=datetime(2026, 10, 25, 0), catchup=True),
    # Mondays 09:00 Berlin: 08:00 UTC before the change, 07:00 UTC after.
    "berlin_weekly": Schedule(cron_expression="0 9 * * 1", timezone="Europe/Berlin",
                              start_time=datetime(2026, 3, 9), catchup=True),
    # 03:30 exists on both change days (after the skipped hour, after the repeated one).
    "berlin_0330": Schedule(cron_expression="30 3 * * *", timezone="Europe/Berlin",
                            start_time=datetime(2026, 3, 26), catchup=True),
    "newyork_0415": Schedule(cron_expression="15 4 * * *", timezone="America/New_York",
                             start_time=datetime(2026, 3, 5), catchup=True),
    # 90 minutes in absolute time through the Berlin night of the change, end inclusive.
    "every_90_min": Schedule(interval_second=5400, timezone="Europe/Berlin", catchup=True,
                             start_time=datetime(2026, 3, 28, 23),
                             end_time=datetime(2026, 3, 29, 9, 30)),
    "weekdays_bounded": Schedule(cron_expression="0 12 * * 1-5", timezone="UTC", catchup=True,
                                 start_time=datetime(2026, 12, 1),
                                 end_time=datetime(2026, 12, 4, 12)),
    "once_berlin": Schedule(run_once_start_time=datetime(2026, 12, 24, 18),
                            timezone="Europe/Berlin"),
    # catchup=False with a start in the future: the first run is the first tick from there.
    # Future whenever the test runs (a fixed date would, once past, make Airflow start from
    # its latest tick instead).
    "future_no_catchup": Schedule(cron_expression="0 6 * * *", timezone="UTC", overlap="allow",
                                  start_time=_A_MIDNIGHT_AHEAD),
}

#: Schedules the backend refuses: Airflow's own timetable shows it would run them differently.
DISAGREE: dict[str, Schedule] = {
    # 02:30 does not exist on 2026-03-29 in Berlin and exists twice on 2026-10-25.
    "berlin_0230_spring": Schedule(cron_expression="30 2 * * *", timezone="Europe/Berlin",
                                   start_time=datetime(2026, 3, 27), catchup=True),
    "berlin_0230_fall": Schedule(cron_expression="30 2 * * *", timezone="Europe/Berlin",
                                 start_time=datetime(2026, 10, 23), catchup=True),
    # Debian cron ANDs the day fields when one starts with '*'; croniter ORs them.
    "star_rule": Schedule(cron_expression="0 0 */2 * 1", timezone="UTC",
                          start_time=datetime(2026, 1, 1), catchup=True),
}


def expected_runs(schedule: Schedule, n: int) -> list[str]:
    first = schedule.run_once_start_time or schedule.start_time
    assert first is not None
    return iso_utc(schedule.preview(n, after=first - timedelta(microseconds=1)))


def test_dags_load_with_the_schedule_sundial_means(airflow: Airflow, sqlite_env: Path,
                                                  flow_file: Path, tmp_path: Path) -> None:
    flow = load_pipeline(f"{flow_file}:flow")
    dags = tmp_path / "dags"
    for name, schedule in AGREE.items():
        AirflowOrchestrator.check_schedule(schedule)
        deploy_airflow(flow, {"n": 2}, schedule.replace(name=name), dags)
    for name, schedule in DISAGREE.items():
        with pytest.raises(Exception, match="cannot honour natively"):
            AirflowOrchestrator.check_schedule(schedule)
        # Written past the check, only to ask Airflow what it would do with it.
        (dags / f"{name}.py").write_text(compile_dag(DagSpec(
            dag_id=name, pipeline="flow", version_id=1, params={}, schedule=schedule,
            steps=[{"id": "load", "upstream": []}], created_at=datetime.now(UTC))))

    seen = airflow.probe(dags, runs=8)

    assert seen["version"].startswith("2.10." if airflow.major == "2" else "3.")
    assert seen["import_errors"] == {}
    assert set(seen["dags"]) == set(AGREE) | set(DISAGREE)
    for name, schedule in AGREE.items():
        dag = seen["dags"][name]
        timing = airflow_timing(schedule, datetime.now(UTC))
        kind = {"cron": "CronTriggerTimetable", "interval": "DeltaDataIntervalTimetable",
                "once": "OnceTimetable"}[schedule.kind]
        assert dag["timetable"] == kind, name
        if schedule.kind == "cron":
            assert dag["timezone"] == schedule.timezone, name
        assert dag["catchup"] is schedule.catchup, name
        assert iso_utc([dag["start_date"]]) == iso_utc([timing.start_date]), name
        assert dag["end_date"] == (None if timing.end_date is None
                                   else dag["end_date"]), name
        if timing.end_date is not None:
            assert iso_utc([dag["end_date"]]) == iso_utc([timing.end_date]), name
        assert dag["max_active_runs"] == timing.max_active_runs, name
        assert dag["is_paused_upon_creation"] is False, name
        assert dag["tasks"] == {"load": [], "total": ["load"]}, name
        assert dag["operators"] == ["BashOperator"], name
        # (b) Airflow's own next runs are sundial's fire times.
        assert dag["runs"] == expected_runs(schedule, 8), name
    # 22:00Z .. 07:00Z: the night is an hour short, so 9.5 wall-clock hours hold 7 ticks.
    assert len(seen["dags"]["every_90_min"]["runs"]) == 7
    assert len(seen["dags"]["weekdays_bounded"]["runs"]) == 4
    assert len(seen["dags"]["once_berlin"]["runs"]) == 1
    for name, schedule in DISAGREE.items():
        assert seen["dags"][name]["runs"] != expected_runs(schedule, 8), name


def test_the_seeds_examples_deploy_natively_and_fire_when_preview_says(
        airflow: Airflow, sqlite_env: Path, flow_file: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The seeds' two examples, as a ZenML user writes them (every other field left at its
    default), deploy natively, and Airflow's own next runs are `sundial schedule preview`'s."""
    from typer.testing import CliRunner

    from sundial.cli.app import app
    from sundial.dispatch import register

    flow = load_pipeline(f"{flow_file}:flow")
    dags = tmp_path / "dags"
    dags.mkdir()
    options = {"dags_folder": str(dags), "executable": str(airflow.bin / "airflow")}
    weekly = Schedule(name="seed_weekly", cron_expression="5 14 * * 3")
    half_hourly = Schedule(name="seed_half_hourly", start_time=datetime.now(),
                           interval_second=1800)
    made = {s.name: register(flow, {"n": 2}, s, orchestrator="airflow", options=options)
            for s in (weekly, half_hourly)}
    for registered in made.values():
        assert registered.info.record.mode == "native"
        # Nothing silent: what Airflow does instead of a default is stored and shown.
        assert all(t.startswith("default here: ")
                   for t in registered.info.record.default_here.values())
    seen = airflow.probe(dags, runs=4)
    assert seen["import_errors"] == {}

    def preview(*flags: str) -> list[str]:
        done = CliRunner().invoke(app, ["schedule", "preview", *flags, "-n", "4", "--json"])
        assert done.exit_code == 0, done.output
        return iso_utc(json.loads(done.output))

    zone = weekly.timezone
    assert seen["dags"]["seed_weekly"]["runs"] == preview("--cron", "5 14 * * 3", "--tz", zone)
    assert half_hourly.start_time is not None
    assert seen["dags"]["seed_half_hourly"]["runs"] == preview(
        "--interval", "1800", "--start", half_hourly.start_time.isoformat())


# -- (c): `airflow dags test` runs the pipeline into sundial's store -----------------------------

def runs_of(store: Store, dag_id: str) -> list[tuple[RunRecord, str]]:
    with store.read() as conn:
        rows = conn.execute(select(t.runs.c.id, t.runs.c.external_id).where(
            t.runs.c.external_id.like(f"airflow:{dag_id}:%"))).all()
    return [(store.get_run(r.id), str(r.external_id)) for r in rows]


def test_dags_test_runs_the_pipeline_step_by_step(airflow: Airflow, sqlite_env: Path,
                                                  flow_file: Path, tmp_path: Path) -> None:
    flow = load_pipeline(f"{flow_file}:flow")
    dags = tmp_path / "dags"
    schedule = Schedule(cron_expression="0 6 * * *", timezone="UTC", catchup=True)
    deploy_airflow(flow, {"n": 4}, schedule, dags, dag_id="e2e", command=SUNDIAL)
    deploy_airflow(flow, {"n": 4, "fail": True}, schedule, dags, dag_id="e2e_fail",
                   command=SUNDIAL)

    ok = airflow.run("dags", "test", "e2e", dags=dags)
    failed = airflow.run("dags", "test", "e2e_fail", dags=dags)

    store = Store(Settings.from_env().database_url)
    ((run, external),) = runs_of(store, "e2e")
    assert run.status == "completed", ok.stdout[-3000:] + ok.stderr[-3000:]
    assert external.startswith("airflow:e2e:manual__")
    assert run.orchestrator == "airflow"
    assert run.params == {"n": 4, "fail": False, "tag": {"a": "{{ not jinja }}"}}
    assert run.nominal_at is not None
    assert {s.name: s.status for s in run.steps.values()} == {"load": "completed",
                                                                "total": "completed"}
    assert "loading 4" in (run.steps["load"].logs or "")
    assert load_artifact(run.steps["total"].outputs["output"]) == sum(range(4)) + 4
    assert load_artifact(run.steps["load"].outputs["x"]) == [0, 1, 2, 3]

    ((bad, _),) = runs_of(store, "e2e_fail")
    assert bad.status == "failed", failed.stdout[-3000:] + failed.stderr[-3000:]
    assert bad.steps["load"].status == "completed"
    assert bad.steps["total"].status == "failed"
    assert "total failed on purpose" in (bad.steps["total"].error or "")
    # Airflow saw it too: the task failed through the step's exit status.
    with closing(sqlite3.connect(airflow.home / "airflow.db")) as db:
        states = dict(db.execute("SELECT task_id, state FROM task_instance WHERE dag_id = ?",
                                 ("e2e_fail",)).fetchall())
        run_state = db.execute("SELECT state FROM dag_run WHERE dag_id = ?",
                               ("e2e_fail",)).fetchone()
    assert states == {"load": "success", "total": "failed"}
    assert run_state == ("failed",)


# -- (d): the real scheduler fires an every-minute schedule --------------------------------------

def start(airflow: Airflow, dags: Path, logs: Path, *args: str) -> subprocess.Popen[bytes]:
    log = (logs / f"{args[0]}.log").open("wb")
    # A session of its own, so that stopping it stops every process it started.
    return subprocess.Popen([str(airflow.bin / "airflow"), *args], env=airflow.env(dags),
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop_all(processes: list[subprocess.Popen[bytes]], grace: float = 15.0) -> None:
    """Stop each process's whole session: SIGTERM to all, SIGKILL to what outlives ``grace``."""

    def signal_all(sig: signal.Signals) -> None:
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)

    signal_all(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
    # Children (task runners, gunicorn/uvicorn workers) may outlive their leader.
    signal_all(signal.SIGKILL)
    for process in processes:
        process.wait(timeout=10)


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    try:
        yield started
    finally:
        stop_all(started)


@pytest.mark.slow
def test_scheduler_fires_an_every_minute_schedule_and_a_submitted_run(
        airflow: Airflow, sqlite_env: Path, flow_file: Path, tmp_path: Path,
        processes: list[subprocess.Popen[bytes]], monkeypatch: pytest.MonkeyPatch) -> None:
    flow = load_pipeline(f"{flow_file}:flow")
    dags, logs = tmp_path / "dags", tmp_path / "logs"
    logs.mkdir()
    # Started three minutes ago without catch-up: Airflow runs the newest tick at once
    # (sundial's rule), so the test needs not wait for a minute to turn.
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    schedule = Schedule(cron_expression="* * * * *", timezone="UTC", overlap="allow",
                        start_time=now - timedelta(minutes=3), name="minutely")
    deploy_airflow(flow, {"n": 2}, schedule, dags, command=SUNDIAL)
    if airflow.major == "3":
        processes.append(start(airflow, dags, logs, "api-server", "--host", "127.0.0.1",
                               "--port", str(airflow.port), "--workers", "1"))
        processes.append(start(airflow, dags, logs, "dag-processor"))
    processes.append(start(airflow, dags, logs, "scheduler", "--skip-serve-logs"))

    store = Store(Settings.from_env().database_url)
    deadline = time.monotonic() + 180
    done: list[tuple[RunRecord, str]] = []
    while time.monotonic() < deadline and not done:
        time.sleep(3)
        done = [(r, x) for r, x in runs_of(store, "minutely") if r.status == "completed"]
        assert all(p.poll() is None for p in processes), _tails(logs)
    assert done, "no scheduled run completed within 180 s\n" + _tails(logs)
    run, external = done[0]
    assert external.startswith("airflow:minutely:scheduled__")
    assert run.nominal_at is not None
    nominal = run.nominal_at.replace(tzinfo=UTC) if run.nominal_at.tzinfo is None \
        else run.nominal_at
    assert nominal.second == 0 and nominal.microsecond == 0
    assert now - timedelta(minutes=1) <= nominal <= datetime.now(UTC)
    assert [s.status for s in run.steps.values()] == ["completed", "completed"]
    listed = airflow.run("dags", "list-runs", *(["-d"] if airflow.major == "2" else []),
                         "minutely", "-o", "json", dags=dags)
    assert "scheduled__" in listed.stdout

    # Run now on Airflow: an on-demand DAG, triggered, run by the same scheduler.
    for name, value in airflow.env(dags).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SUNDIAL_AIRFLOW_EXECUTABLE", str(airflow.bin / "airflow"))
    monkeypatch.setenv("SUNDIAL_AIRFLOW_DAGS_FOLDER", str(dags))
    monkeypatch.setenv("SUNDIAL_AIRFLOW_PARSE_TIMEOUT", "120")
    handle = flow.with_options(orchestrator="airflow")(n=6)
    # The run is recorded before Airflow has it; its tasks write into it (its id is in the
    # DAG run's conf), and the platform's reference is kept with it. (On a quiet machine the
    # scheduler can finish it before the call returns.)
    assert handle.status in ("queued", "running", "completed")
    assert handle.orchestrator == "airflow"
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline and handle.status != "completed":
        time.sleep(3)
        handle = handle.refresh()
    assert handle.status == "completed", f"run {handle.id} did not complete\n" + _tails(logs)
    ((manual, external),) = [(r, x) for r, x in runs_of(store, f"flow__v{handle.version_id}")]
    assert manual.id == handle.id
    assert external == f"airflow:flow__v{handle.version_id}:sundial__{handle.id}"
    from sundial.orchestrators.registry import get_orchestrator

    assert get_orchestrator("airflow", store).run_status(external).status == "completed"
    assert load_artifact(manual.steps["total"].outputs["output"]) == sum(range(6)) + 6


def _tails(logs: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
                     for p in sorted(logs.glob("*.log")))


# -- (e): register, pause, resume, delete through sundial ----------------------------------------

def paused_in_airflow(airflow: Airflow, dag_id: str) -> bool | None:
    """The DAG's paused flag in Airflow's metadata database; ``None``: Airflow has no such DAG.

    Read straight from the SQLite file: the `airflow dags list` command would take seconds.
    """
    with closing(sqlite3.connect(airflow.home / "airflow.db")) as db:
        row = db.execute("SELECT is_paused FROM dag WHERE dag_id = ?", (dag_id,)).fetchone()
    return None if row is None else bool(row[0])


def test_lifecycle_through_sundial_reaches_airflow(
        airflow: Airflow, sqlite_env: Path, flow_file: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from sundial import Client

    dags = tmp_path / "dags"
    for name, value in airflow.env(dags).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SUNDIAL_AIRFLOW_EXECUTABLE", str(airflow.bin / "airflow"))
    monkeypatch.setenv("SUNDIAL_AIRFLOW_DAGS_FOLDER", str(dags))
    flow = load_pipeline(f"{flow_file}:flow")
    schedule = Schedule(cron_expression="0 6 * * *", timezone="Europe/Berlin", catchup=True,
                        name="nightly")

    info = flow.with_options(orchestrator="airflow", schedule=schedule)(n=3)

    path = dags / "nightly.py"
    assert info.record.native_ref == "nightly" and path.exists()
    # Make Airflow parse the folder now rather than at its next scan.
    assert airflow.run("dags", "reserialize", dags=dags).returncode == 0
    assert paused_in_airflow(airflow, "nightly") is False
    schedules = Client().schedules
    schedules.pause("nightly")
    assert paused_in_airflow(airflow, "nightly") is True
    assert "is_paused_upon_creation=True," in path.read_text()
    schedules.resume("nightly")
    assert paused_in_airflow(airflow, "nightly") is False
    schedules.update("nightly", cron_expression="0 7 * * *")
    assert "CronTriggerTimetable('0 7 * * *', timezone='Europe/Berlin')" in path.read_text()
    schedules.delete("nightly")
    assert not path.exists()
    assert paused_in_airflow(airflow, "nightly") is None
    # A schedule Airflow cannot express is refused before anything is written.
    with pytest.raises(Exception, match="jitter"):
        flow.with_options(orchestrator="airflow",
                          schedule=schedule.replace(name="jittery", jitter=30))(n=3)
    assert not (dags / "jittery.py").exists()

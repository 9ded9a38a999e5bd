"""The Kubeflow backend through the real ``kfp.Client`` against a loopback KFP API double.

What these cannot show: that a real KFP deployment runs the spec, that its scheduled-workflow
controller fires at the instants the mapping derives from its source, or authentication.
The double checks every request against kfp-server-api's models and the server's own
create-time rules (six-field robfig cron, one trigger, max_concurrency 1-10).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from kfp_double import KfpDouble, serve_kfp
from remote_doubles import training_pipeline

from sundial import Schedule
from sundial.errors import (
    AlreadyExistsError,
    ConfigError,
    OrchestratorError,
    UnsupportedScheduleError,
)
from sundial.orchestrators.base import RunRequest, fields_left_default
from sundial.orchestrators.kubeflow import KubeflowOrchestrator, KubeflowSettings
from sundial.orchestrators.native import Deployment
from sundial.store.store import Store

warnings.filterwarnings("ignore", category=FutureWarning)  # kfp.Client's version notice


@pytest.fixture
def double() -> Iterator[KfpDouble]:
    with serve_kfp() as d:
        yield d
        assert d.violations == []


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 's.db'}")


@pytest.fixture(scope="module")
def training(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return training_pipeline(tmp_path_factory.mktemp("pipeline"), "kfp_pipeline")


def backend(store: Store, double: KfpDouble, **settings: Any) -> KubeflowOrchestrator:
    values = {"host": double.url, "image": "registry.local/sundial:abc", **settings}
    return KubeflowOrchestrator(store, KubeflowSettings(**values))


def deployment(store: Store, training: Any, schedule: Schedule, name: str = "nightly",
               paused: bool = False, schedule_id: str = "sched-1") -> Deployment:
    from sundial.engine.runner import record_version

    graph, _pid, version_id = record_version(store, training, {"lr": 0.5})
    return Deployment(name=name, schedule_id=schedule_id, pipeline="training",
                      version_id=version_id, spec=graph.spec(), params={"lr": 0.5},
                      schedule=schedule, paused=paused,
                      defaulted=fields_left_default(schedule))


def run_request(store: Store, training: Any) -> RunRequest:
    from sundial.engine.runner import record_version

    _graph, _pid, version_id = record_version(store, training, {"lr": 0.5})
    return RunRequest(run_id="5a1f0d1e-0000-4000-8000-000000000001", pipeline="training",
                      version_id=version_id, params={"lr": 0.5})


def posted(double: KfpDouble, path: str) -> list[Any]:
    return [body for method, p, body in double.requests if method == "POST" and p.endswith(path)]


def test_submit_makes_a_run_in_the_pipeline_experiment(
        store: Store, double: KfpDouble, training: Any) -> None:
    ref = backend(store, double).submit(run_request(store, training))
    assert ref in double.runs
    run = double.runs[ref]
    exp = double.experiments[run["experiment_id"]]
    assert exp["display_name"] == "training"
    assert run["runtime_config"]["parameters"] == {
        "sundial_run_id": "5a1f0d1e-0000-4000-8000-000000000001"}
    spec = run["pipeline_spec"]
    tasks = spec["root"]["dag"]["tasks"]
    assert {t["taskInfo"]["name"] for t in tasks.values()} == {"load", "train"}
    assert all(not t.get("cachingOptions", {}).get("enableCache") for t in tasks.values())
    image = {e["container"]["image"] for e in spec["deploymentSpec"]["executors"].values()}
    assert image == {"registry.local/sundial:abc"}


def test_run_status_follows_the_platform(store: Store, double: KfpDouble, training: Any) -> None:
    orch = backend(store, double)
    ref = orch.submit(run_request(store, training))
    assert orch.run_status(ref).status == "queued"
    double.runs[ref]["state"] = "RUNNING"
    assert orch.run_status(ref).status == "running"
    double.runs[ref]["state"] = "FAILED"
    double.runs[ref]["error"] = {"code": 13, "message": "pod OOMKilled"}
    state = orch.run_status(ref)
    assert state.status == "failed" and state.reason is not None and "OOMKilled" in state.reason
    orch.cancel(ref)
    assert double.runs[ref]["state"] == "CANCELING"


def test_cron_schedule_becomes_a_six_field_recurring_run(
        store: Store, double: KfpDouble, training: Any) -> None:
    start = datetime(2027, 1, 1, 9, 0, tzinfo=UTC)
    schedule = Schedule(cron_expression="*/15 9-17 * * MON-FRI", timezone="UTC",
                        start_time=start, end_time=start + timedelta(days=30), catchup=True,
                        max_active_runs=3)
    orch = backend(store, double)
    ref = orch.create_schedule(deployment(store, training, schedule))
    assert ref == "nightly"
    (rec,) = double.recurring.values()
    cron = rec["trigger"]["cron_schedule"]
    assert cron["cron"] == "0 0,15,30,45 9,10,11,12,13,14,15,16,17 * * 1,2,3,4,5"
    # A tick exactly at start_time runs: KFP fires strictly after its start.
    assert cron["start_time"] == "2027-01-01T08:59:59Z"
    assert cron["end_time"] == "2027-01-31T09:00:00Z"
    assert rec["no_catchup"] is False and int(rec["max_concurrency"]) == 3
    assert rec["mode"] == "ENABLE"
    args = next(iter(rec["pipeline_spec"]["deploymentSpec"]["executors"].values()))[
        "container"]["args"]
    assert args[args.index("--schedule-id") + 1] == "sched-1"
    assert args[args.index("--orchestrator") + 1] == "kubeflow"


def test_interval_schedule_starts_one_interval_early(
        store: Store, double: KfpDouble, training: Any) -> None:
    start = datetime(2027, 1, 1, 9, 0, tzinfo=UTC)
    schedule = Schedule(interval_second=1800, start_time=start, catchup=True)
    backend(store, double).create_schedule(deployment(store, training, schedule))
    (rec,) = double.recurring.values()
    periodic = rec["trigger"]["periodic_schedule"]
    assert int(periodic["interval_second"]) == 1800
    assert periodic["start_time"] == "2027-01-01T08:30:00Z"


def test_run_once_is_a_cron_bounded_to_its_second(
        store: Store, double: KfpDouble, training: Any) -> None:
    at = datetime(2027, 3, 4, 5, 6, 7, tzinfo=UTC)
    once = Schedule(run_once_start_time=at)
    backend(store, double).create_schedule(deployment(store, training, once))
    (rec,) = double.recurring.values()
    cron = rec["trigger"]["cron_schedule"]
    assert cron["cron"] == "7 6 5 4 3 *"
    assert cron["start_time"] == "2027-03-04T05:06:06Z"
    assert cron["end_time"] == "2027-03-04T05:06:07Z"


def test_lifecycle_pause_resume_update_trigger_delete(
        store: Store, double: KfpDouble, training: Any) -> None:
    orch = backend(store, double)
    schedule = Schedule(cron_expression="5 14 * * 3", timezone="UTC", catchup=True)
    ref = orch.create_schedule(deployment(store, training, schedule, paused=True))
    assert orch.describe_schedule(ref).paused is True
    orch.resume_schedule(ref)
    assert orch.describe_schedule(ref).paused is False
    orch.pause_schedule(ref)
    orch.pause_schedule(ref)  # idempotent
    assert orch.describe_schedule(ref).paused is True
    (old_id,) = double.recurring
    changed = Schedule(cron_expression="5 15 * * 3", timezone="UTC", catchup=True)
    orch.update_schedule(ref, deployment(store, training, changed))
    (rec,) = double.recurring.values()
    assert rec["recurring_run_id"] != old_id and rec["display_name"] == ref
    assert rec["trigger"]["cron_schedule"]["cron"] == "0 5 15 * * 3"
    assert rec["mode"] == "DISABLE"  # an update keeps the schedule paused
    run = orch.trigger_schedule(ref, run_request(store, training))
    assert double.runs[run]["runtime_config"]["parameters"]["sundial_run_id"]
    orch.delete_schedule(ref)
    orch.delete_schedule(ref)  # idempotent
    assert double.recurring == {} and not orch.describe_schedule(ref).exists


def test_update_starts_after_the_newest_handled_tick(
        store: Store, double: KfpDouble, training: Any) -> None:
    """KFP has no update: the replacement must not fire a tick the old one handled."""
    from sundial.engine.runner import record_version
    from sundial.store.schedule_store import ScheduleStore

    orch = backend(store, double)
    schedule = Schedule(cron_expression="0 * * * *", timezone="UTC", catchup=True)
    _graph, pid, vid = record_version(store, training, {"lr": 0.5})
    sid = ScheduleStore(store).insert(
        name="nightly", pipeline_id=pid, version_id=vid, params={}, enable_cache=None,
        orchestrator="kubeflow", definition=schedule.to_json(), next_fire_at=None,
        now=datetime.now(UTC), native_ref="nightly")
    dep = deployment(store, training, schedule, schedule_id=sid)
    ref = orch.create_schedule(dep)
    tick = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)
    store.create_run(run_id="r-tick", pipeline_id=pid, version_id=vid, params={},
                     status="completed", orchestrator="kubeflow", external_id="kfp-run-1",
                     nominal_at=tick, schedule_id=sid, trigger="external")
    orch.update_schedule(ref, dep)
    (rec,) = double.recurring.values()
    assert rec["trigger"]["cron_schedule"]["start_time"] == "2027-01-01T12:00:00Z"


def test_a_taken_name_is_refused_and_nothing_is_created(
        store: Store, double: KfpDouble, training: Any) -> None:
    orch = backend(store, double)
    schedule = Schedule(cron_expression="5 14 * * 3", timezone="UTC", catchup=True)
    orch.create_schedule(deployment(store, training, schedule))
    with pytest.raises(AlreadyExistsError):
        orch.create_schedule(deployment(store, training, schedule))
    assert len(double.recurring) == 1


def test_refusals_name_the_fields_and_the_fix() -> None:
    cls = KubeflowOrchestrator
    with pytest.raises(UnsupportedScheduleError) as info:
        cls.check_schedule(Schedule(cron_expression="5 14 * * 3", timezone="Europe/Berlin",
                                    catchup=True))
    assert "timezone" in info.value.headline and "timezone='UTC'" in info.value.fix
    assert "sundial mode" in info.value.fix
    with pytest.raises(UnsupportedScheduleError) as info:
        cls.check_schedule(Schedule(cron_expression="0 0 */2 * 1", timezone="UTC",
                                    catchup=True))
    assert "day fields" in info.value.headline
    with pytest.raises(UnsupportedScheduleError) as info:
        cls.check_schedule(Schedule(interval_second=60, catchup=False))
    assert "catchup=True" in info.value.fix
    with pytest.raises(UnsupportedScheduleError) as info:
        cls.check_schedule(Schedule(cron_expression="5 14 * * 3", timezone="UTC",
                                    catchup=True, max_active_runs=11))
    assert "max_active_runs=10" in info.value.fix
    with pytest.raises(UnsupportedScheduleError) as info:
        cls.check_schedule(Schedule(cron_expression="5 14 * * 3", timezone="UTC",
                                    overlap="skip", jitter=5, max_runs=3))
    assert all(f in info.value.headline for f in ("overlap=skip", "jitter", "max_runs"))
    # Provably the same in UTC: a zone with no offset, or a minute-only cron.
    cls.check_schedule(Schedule(cron_expression="5 14 * * 3", timezone="Africa/Abidjan",
                                catchup=True))
    cls.check_schedule(Schedule(cron_expression="*/15 * * * *", timezone="Asia/Kolkata",
                                catchup=True))


def test_defaults_take_kfps_behaviour_and_say_so() -> None:
    """Left at their defaults, catchup=False and overlap="queue" take KFP's nearest rule."""
    instead = KubeflowOrchestrator.check_schedule(Schedule(cron_expression="5 14 * * 3"))
    assert "overlap" in instead and "newest" in instead["overlap"]
    # A zone is never given way: reading the cron in UTC would move every fire time.
    with pytest.raises(UnsupportedScheduleError):
        KubeflowOrchestrator.check_schedule(
            Schedule(cron_expression="5 14 * * 3", timezone="Europe/Berlin"),
            defaulted=frozenset({"timezone", "catchup", "overlap"}))


def test_unreachable_server_and_missing_image(store: Store, tmp_path: Path, training: Any) -> None:
    orch = KubeflowOrchestrator(store, KubeflowSettings(host="http://127.0.0.1:9",
                                                        image="img"))
    with pytest.raises(OrchestratorError) as info:
        orch.submit(run_request(store, training))
    assert "127.0.0.1:9" in info.value.headline and "SUNDIAL_KUBEFLOW_HOST" in info.value.fix
    with serve_kfp() as double:
        orch = KubeflowOrchestrator(store, KubeflowSettings(host=double.url))
        with pytest.raises(ConfigError) as err:
            orch.submit(run_request(store, training))
        assert "sundial build" in err.value.fix
        assert double.runs == {}


def test_a_refused_create_leaves_nothing(store: Store, double: KfpDouble, training: Any) -> None:
    orch = backend(store, double)
    double.fail_next = 503
    with pytest.raises(OrchestratorError) as info:
        orch.submit(run_request(store, training))
    assert "503" in info.value.headline
    assert double.runs == {}


def test_runs_kfps_scheduler_makes_are_recorded_as_ticks(
        store: Store, double: KfpDouble, training: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The spec's step commands, run as KFP's driver would start them for a scheduled run
    (run id parameter empty, KFP rendering its run uuid and schedule time), record one run
    with the schedule's id, the tick and KFP's run reference; run_status reads KFP's state.

    Cannot show: KFP itself rendering the placeholders (their meaning is KFP's documentation).
    """
    from kfp_steps import run_steps

    from sundial.engine.runner import record_version
    from sundial.store.schedule_store import ScheduleStore

    monkeypatch.setenv("SUNDIAL_ARTIFACT_URI", str(tmp_path / "artifacts"))
    schedule = Schedule(cron_expression="5 14 * * 3", timezone="UTC", catchup=True)
    _graph, pid, vid = record_version(store, training, {"lr": 0.5})
    sid = ScheduleStore(store).insert(
        name="nightly", pipeline_id=pid, version_id=vid, params={"lr": 0.5},
        enable_cache=None, orchestrator="kubeflow", definition=schedule.to_json(),
        next_fire_at=None, now=datetime.now(UTC), native_ref="nightly")
    orch = backend(store, double)
    orch.create_schedule(deployment(store, training, schedule, schedule_id=sid))
    (rec,) = double.recurring.values()
    tick = datetime(2027, 1, 6, 14, 5, tzinfo=UTC)
    kfp_run = double.fire(rec["recurring_run_id"], tick)
    run_steps(rec["pipeline_spec"], runtime={}, platform={
        "{{$.pipeline_job_uuid}}": kfp_run["run_id"],
        "{{$.pipeline_job_schedule_time_utc}}": "2027-01-06T14:05:00Z"})
    (run,) = ScheduleStore(store).runs_of(sid)
    assert run.status == "completed" and run.nominal_at is not None
    assert run.nominal_at.replace(tzinfo=UTC) == tick
    assert run.schedule_id == sid and set(run.steps) == {"load", "train"}
    assert store.get_run(run.id).steps["train"].outputs
    assert orch.run_status(kfp_run["run_id"]).status == "running"


def _wait(done: Any, seconds: float = 120.0) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "the double did not finish the run"
        time.sleep(0.2)


def test_run_now_runs_on_the_platform(store: Store, double: KfpDouble, training: Any,
                                      tmp_path: Path) -> None:
    """Run now through sundial's dispatch: the double starts each step's container command
    as its own process (what KFP's driver would), and the run ends recorded in the store.

    Cannot show: pods, images, KFP's launcher.
    """
    import sys

    from kfp_steps import run_step_processes

    from sundial.dispatch import run_now

    double.executor = run_step_processes
    options = {"host": double.url, "image": "local",
               "step_command": str(Path(sys.executable).parent / "sundial"),
               "step_artifact_uri": str(tmp_path / "artifacts")}
    run = run_now(training, {"lr": 0.5}, orchestrator="kubeflow", options=options,
                  store=store)
    ref = store.get_run(run.id).external_id
    assert ref in double.runs
    _wait(lambda: double.runs[ref]["state"] in ("SUCCEEDED", "FAILED"))
    assert double.runs[ref]["state"] == "SUCCEEDED", double.runs[ref].get("error")
    record = store.get_run(run.id)
    assert record.status == "completed" and set(record.steps) == {"load", "train"}
    orch = KubeflowOrchestrator(store, KubeflowSettings(host=double.url))
    assert orch.run_status(ref).status == "completed"


def test_an_update_kfp_refuses_leaves_the_old_schedule_running(
        store: Store, double: KfpDouble, training: Any) -> None:
    orch = backend(store, double)
    schedule = Schedule(cron_expression="5 14 * * 3", timezone="UTC", catchup=True)
    ref = orch.create_schedule(deployment(store, training, schedule))
    (old_id,) = double.recurring
    double.fail_on = ("POST", "/apis/v2beta1/recurringruns", 503)
    changed = Schedule(cron_expression="5 15 * * 3", timezone="UTC", catchup=True)
    with pytest.raises(OrchestratorError):
        orch.update_schedule(ref, deployment(store, training, changed))
    (rec,) = double.recurring.values()
    assert rec["recurring_run_id"] == old_id and rec["status"] == "ENABLED"
    assert rec["trigger"]["cron_schedule"]["cron"] == "0 5 14 * * 3"

"""The Vertex backend through google-cloud-aiplatform's ``aiplatform_v1`` REST clients
(AnonymousCredentials) against a loopback Vertex API double.

What these cannot show: that Vertex runs the compiled spec or fires at the instants the
mapping claims (its documentation is all there is: catch-up on resume, allow_queueing, the
TZ= prefix; its DST rule is undocumented), or IAM. The double parses every body with the
published protos (unknown fields refused) and checks the paths and the rules Vertex states.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from remote_doubles import training_pipeline
from vertex_double import VertexDouble, serve_vertex

from sundial import Schedule
from sundial.errors import ConfigError, OrchestratorError, UnsupportedScheduleError
from sundial.orchestrators.base import RunRequest, fields_left_default
from sundial.orchestrators.native import Deployment
from sundial.orchestrators.vertex import VertexOrchestrator, VertexSettings
from sundial.store.store import Store

PARENT = "projects/proj/locations/europe-west4"
FUTURE = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def double(monkeypatch: pytest.MonkeyPatch) -> Iterator[VertexDouble]:
    with serve_vertex() as d:
        # Were the SDK to reach for Cloud Storage, it would meet the double, not the network.
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", d.url)
        yield d
        assert d.violations == []


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 's.db'}")


@pytest.fixture(scope="module")
def training(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return training_pipeline(tmp_path_factory.mktemp("pipeline"), "vertex_pipeline")


def backend(store: Store, double: VertexDouble, **settings: Any) -> VertexOrchestrator:
    values = {"project": "proj", "location": "europe-west4", "api_endpoint": double.url,
              "credentials": "anonymous", "pipeline_root": "gs://bucket/pipelines",
              "image": "europe-docker.pkg.dev/proj/sundial/training:abc", **settings}
    return VertexOrchestrator(store, VertexSettings(**values))


def deployment(store: Store, training: Any, schedule: Schedule, paused: bool = False,
               schedule_id: str = "sched-1") -> Deployment:
    from sundial.engine.runner import record_version

    graph, _pid, version_id = record_version(store, training, {"lr": 0.5})
    return Deployment(name="nightly", schedule_id=schedule_id, pipeline="training",
                      version_id=version_id, spec=graph.spec(), params={"lr": 0.5},
                      schedule=schedule, paused=paused,
                      defaulted=fields_left_default(schedule))


def run_request(store: Store, training: Any, run_id: str = "5a1f0d1e-0000-4000-8000-000000000001",
                ) -> RunRequest:
    from sundial.engine.runner import record_version

    _graph, _pid, version_id = record_version(store, training, {"lr": 0.5})
    return RunRequest(run_id=run_id, pipeline="training", version_id=version_id,
                      params={"lr": 0.5})


def test_submit_creates_a_pipeline_job(store: Store, double: VertexDouble, training: Any) -> None:
    ref = backend(store, double).submit(run_request(store, training))
    assert ref == f"{PARENT}/pipelineJobs/sundial-5a1f0d1e-0000-4000-8000-000000000001"
    job = double.jobs[ref]
    assert job["runtimeConfig"]["gcsOutputDirectory"] == "gs://bucket/pipelines"
    assert job["runtimeConfig"]["parameterValues"] == {
        "sundial_run_id": "5a1f0d1e-0000-4000-8000-000000000001"}
    tasks = job["pipelineSpec"]["root"]["dag"]["tasks"]
    assert {t["taskInfo"]["name"] for t in tasks.values()} == {"load", "train"}
    # No call went anywhere but the API: no bucket lookup, no Resource Manager.
    assert {p.split("/")[1] for _m, p, _b in double.requests} == {"v1"}


def test_a_retried_submit_finds_its_job(store: Store, double: VertexDouble, training: Any) -> None:
    orch = backend(store, double)
    first = orch.submit(run_request(store, training))
    assert orch.submit(run_request(store, training)) == first
    assert len(double.jobs) == 1


def test_run_status_and_cancel(store: Store, double: VertexDouble, training: Any) -> None:
    orch = backend(store, double)
    ref = orch.submit(run_request(store, training))
    assert orch.run_status(ref).status == "queued"
    double.jobs[ref]["state"] = "PIPELINE_STATE_RUNNING"
    assert orch.run_status(ref).status == "running"
    double.jobs[ref]["state"] = "PIPELINE_STATE_FAILED"
    double.jobs[ref]["error"] = {"code": 9, "message": "The replica workerpool0-0 exited"}
    state = orch.run_status(ref)
    assert state.status == "failed" and state.reason and "workerpool0-0" in state.reason
    orch.cancel(ref)
    assert double.jobs[ref]["state"] == "PIPELINE_STATE_CANCELLING"


def test_cron_schedule_keeps_its_zone(store: Store, double: VertexDouble, training: Any) -> None:
    schedule = Schedule(cron_expression="30 6 * * MON-FRI", timezone="Europe/Berlin",
                        start_time=FUTURE, end_time=FUTURE + timedelta(days=30, seconds=42),
                        catchup=True, overlap="skip", max_active_runs=2, max_runs=20)
    ref = backend(store, double).create_schedule(deployment(store, training, schedule))
    sched = double.schedules[ref]
    assert sched["cron"] == "TZ=Europe/Berlin 30 6 * * 1,2,3,4,5"
    assert sched["startTime"] == "2030-01-07T08:59:59Z"
    assert sched["endTime"] == "2030-02-06T09:00:01Z"  # the last whole minute, inclusive
    assert sched.get("allowQueueing", False) is False  # overlap="skip" (false: omitted)
    assert int(sched["maxConcurrentRunCount"]) == 2
    assert int(sched["maxConcurrentActiveRunCount"]) == 2
    assert int(sched["maxRunCount"]) == 20
    job = sched["createPipelineJobRequest"]["pipelineJob"]
    assert "sundial_run_id" not in job["runtimeConfig"].get("parameterValues", {})
    args = next(iter(job["pipelineSpec"]["deploymentSpec"]["executors"].values()))[
        "container"]["args"]
    assert args[args.index("--schedule-id") + 1] == "sched-1"
    task = next(iter(job["pipelineSpec"]["root"]["dag"]["tasks"].values()))
    assert task["inputs"]["parameters"]["job"]["runtimeValue"]["constant"] == \
        "{{$.pipeline_job_resource_name}}"


def test_interval_and_once_become_exact_utc_crons(
        store: Store, double: VertexDouble, training: Any) -> None:
    orch = backend(store, double)
    every = Schedule(interval_second=timedelta(hours=6), start_time=FUTURE.replace(minute=7),
                     catchup=True)
    ref = orch.create_schedule(deployment(store, training, every))
    assert double.schedules[ref]["cron"] == "TZ=UTC 7 3,9,15,21 * * *"
    once = Schedule(run_once_start_time=FUTURE)
    ref = orch.create_schedule(deployment(store, training, once))
    sched = double.schedules[ref]
    assert sched["cron"] == "TZ=UTC 0 9 7 1 *" and int(sched["maxRunCount"]) == 1
    assert sched["startTime"] == "2030-01-07T08:59:59Z"
    assert sched["endTime"] == "2030-01-07T09:00:01Z"


def test_lifecycle(store: Store, double: VertexDouble, training: Any) -> None:
    from sundial.engine.runner import record_version
    from sundial.store.schedule_store import ScheduleStore

    orch = backend(store, double)
    schedule = Schedule(cron_expression="5 14 * * 3", timezone="UTC", catchup=True)
    ref = orch.create_schedule(deployment(store, training, schedule, paused=True))
    assert double.schedules[ref]["state"] == "PAUSED"
    # resume carries the schedule's catchup, read from the store by the schedule's ref
    _graph, pid, vid = record_version(store, training, {"lr": 0.5})
    ScheduleStore(store).insert(
        name="nightly", pipeline_id=pid, version_id=vid, params={}, enable_cache=None,
        orchestrator="vertex", definition=schedule.to_json(), next_fire_at=None,
        now=datetime.now(UTC), native_ref=ref)
    orch.resume_schedule(ref)
    orch.resume_schedule(ref)  # idempotent
    assert double.resumes == [(ref, True)]
    orch.pause_schedule(ref)
    orch.pause_schedule(ref)  # idempotent
    changed = Schedule(cron_expression="5 15 * * 3", timezone="UTC", catchup=True,
                       max_runs=4)
    orch.update_schedule(ref, deployment(store, training, changed))
    assert double.schedules[ref]["cron"] == "TZ=UTC 5 15 * * 3"
    assert int(double.schedules[ref]["maxRunCount"]) == 4
    described = orch.describe_schedule(ref)
    assert described.exists and described.paused
    run_id = "00000000-0000-4000-8000-00000000000b"
    job = orch.trigger_schedule(ref, run_request(store, training, run_id))
    assert double.jobs[job]["runtimeConfig"]["parameterValues"]["sundial_run_id"] == \
        "00000000-0000-4000-8000-00000000000b"
    orch.delete_schedule(ref)
    orch.delete_schedule(ref)  # idempotent
    assert not orch.describe_schedule(ref).exists


def test_refusals() -> None:
    cls = VertexOrchestrator
    with pytest.raises(UnsupportedScheduleError) as info:
        cls.check_schedule(Schedule(interval_second=timedelta(minutes=7),
                                    start_time=FUTURE, catchup=True))
    assert "interval_second" in info.value.headline and "cron only" in info.value.headline
    with pytest.raises(UnsupportedScheduleError) as info:
        cls.check_schedule(Schedule(cron_expression="30 2 * * *", timezone="Europe/Berlin",
                                    catchup=True))
    assert "DST" in info.value.headline and "timezone='UTC'" in info.value.fix
    with pytest.raises(UnsupportedScheduleError) as info:
        cls.check_schedule(Schedule(cron_expression="5 14 * * 3", timezone="UTC",
                                    catchup=False))
    assert "catchup=True" in info.value.fix
    with pytest.raises(UnsupportedScheduleError) as info:
        cls.check_schedule(Schedule(cron_expression="5 14 * * *", timezone="UTC",
                                    catchup=True, start_time=datetime(2020, 1, 1, tzinfo=UTC)))
    assert "in the past" in info.value.headline
    with pytest.raises(UnsupportedScheduleError) as info:
        cls.check_schedule(Schedule(cron_expression="5 14 * * 3", timezone="UTC",
                                    catchup=True, overlap="replace"))
    assert "overlap=replace" in info.value.headline
    # Left at its default, catchup=False takes Vertex's rule, and says which.
    instead = cls.check_schedule(Schedule(cron_expression="5 14 * * 3", timezone="UTC"))
    assert "do not run at all" in instead["catchup"]


def test_bad_settings_say_which(store: Store, double: VertexDouble, training: Any) -> None:
    with pytest.raises(ConfigError) as info:
        backend(store, double, project=None).submit(run_request(store, training))
    assert "SUNDIAL_VERTEX_PROJECT" in info.value.fix
    with pytest.raises(ConfigError) as info:
        backend(store, double, pipeline_root="/tmp/x").submit(run_request(store, training))
    assert "gs://" in info.value.fix
    with pytest.raises(OrchestratorError) as err:
        unreachable = backend(store, double, api_endpoint="http://127.0.0.1:9")
        unreachable.submit(run_request(store, training))
    assert "127.0.0.1:9" in err.value.headline
    assert double.jobs == {}


def test_a_refused_create_leaves_nothing(store: Store, double: VertexDouble, training: Any) -> None:
    double.fail_next = 400
    schedule = Schedule(cron_expression="5 14 * * 3", timezone="UTC", catchup=True)
    with pytest.raises(OrchestratorError) as info:
        backend(store, double).create_schedule(deployment(store, training, schedule))
    assert "400" in info.value.headline and double.schedules == {}


def test_jobs_vertexs_scheduler_makes_are_recorded_as_ticks(
        store: Store, double: VertexDouble, training: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The schedule's job template, its steps run as Vertex would start them for a scheduled
    job (run id parameter empty; Vertex rendering the job's resource name and schedule time),
    records one run with the schedule's id and the tick; run_status reads the job's state.

    Cannot show: Vertex itself rendering the placeholders (their meaning is its documentation).
    """
    from kfp_steps import run_steps

    from sundial.engine.runner import record_version
    from sundial.store.schedule_store import ScheduleStore

    monkeypatch.setenv("SUNDIAL_ARTIFACT_URI", str(tmp_path / "artifacts"))
    schedule = Schedule(cron_expression="5 14 * * 3", timezone="UTC", catchup=True)
    _graph, pid, vid = record_version(store, training, {"lr": 0.5})
    sid = ScheduleStore(store).insert(
        name="nightly", pipeline_id=pid, version_id=vid, params={"lr": 0.5},
        enable_cache=None, orchestrator="vertex", definition=schedule.to_json(),
        next_fire_at=None, now=datetime.now(UTC), native_ref=None)
    orch = backend(store, double)
    ref = orch.create_schedule(deployment(store, training, schedule, schedule_id=sid))
    tick = datetime(2030, 1, 9, 14, 5, tzinfo=UTC)
    job = double.fire(ref, tick)
    run_steps(job["pipelineSpec"], runtime={}, platform={
        "{{$.pipeline_job_resource_name}}": job["name"],
        "{{$.pipeline_job_schedule_time_utc}}": "2030-01-09T14:05:00Z"})
    (run,) = ScheduleStore(store).runs_of(sid)
    assert run.status == "completed" and run.schedule_id == sid
    assert run.nominal_at is not None and run.nominal_at.replace(tzinfo=UTC) == tick
    assert orch.run_status(job["name"]).status == "running"


def test_run_now_runs_on_the_platform(store: Store, double: VertexDouble, training: Any,
                                      tmp_path: Path) -> None:
    """Run now through sundial's dispatch: the double starts each step's container command
    as its own process (what Vertex would), and the run ends recorded in the store.

    Cannot show: Vertex's workers, images, its launcher.
    """
    import sys
    import time

    from kfp_steps import run_step_processes

    from sundial.dispatch import run_now

    double.executor = run_step_processes
    options = {"project": "proj", "location": "europe-west4", "api_endpoint": double.url,
               "credentials": "anonymous", "pipeline_root": "gs://bucket/pipelines",
               "image": "local", "step_command": str(Path(sys.executable).parent / "sundial"),
               "step_artifact_uri": str(tmp_path / "artifacts")}
    run = run_now(training, {"lr": 0.5}, orchestrator="vertex", options=options, store=store)
    ref = store.get_run(run.id).external_id
    assert ref in double.jobs
    deadline = time.monotonic() + 120
    while double.jobs[ref]["state"] not in ("PIPELINE_STATE_SUCCEEDED",
                                            "PIPELINE_STATE_FAILED"):
        assert time.monotonic() < deadline, "the double did not finish the job"
        time.sleep(0.2)
    assert double.jobs[ref]["state"] == "PIPELINE_STATE_SUCCEEDED", double.jobs[ref]
    record = store.get_run(run.id)
    assert record.status == "completed" and set(record.steps) == {"load", "train"}
    assert backend(store, double).run_status(ref).status == "completed"


def test_missing_credentials_say_how_to_get_them(store: Store, double: VertexDouble,
                                                 training: Any, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """With no application-default credentials (and the GCE metadata server check off, so
    nothing leaves this machine), the first call fails with the fix, having created nothing."""
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    monkeypatch.setenv("NO_GCE_CHECK", "True")
    with pytest.raises(OrchestratorError) as info:
        backend(store, double, credentials="default").submit(run_request(store, training))
    assert "credentials" in info.value.headline
    assert "gcloud auth application-default login" in info.value.fix
    assert double.jobs == {}

"""Runs on Tekton through the real ``kubernetes`` client against a loopback API server.

Each test goes through :class:`TektonOrchestrator` and the client's custom-objects API to
``kube_double``, which checks every path, verb and body (against Tekton's CRD schemas) as the
API server would. What these tests cannot show: a Tekton controller running the PipelineRun
(the tests write its status as the controller would), pods pulling the image, RBAC.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from remote_doubles import next_tick_run, recorded_run, run_failable, training_pipeline, when

from sundial.errors import NotFoundError, OrchestratorError, UnsupportedScheduleError
from sundial.orchestrators.base import RunRequest
from sundial.orchestrators.tekton import TektonOrchestrator, TektonSettings
from sundial.store.store import Store
from tekton.kube_double import Cluster, kube_double


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    with kube_double(tmp_path) as running:
        yield running


@pytest.fixture
def training(tmp_path: Path, sqlite_env: Path):  # type: ignore[no-untyped-def]
    return training_pipeline(tmp_path, "training_tk")


def backend(cluster: Cluster, **changes: object) -> TektonOrchestrator:
    settings = TektonSettings.model_validate({
        "image": "localhost/sundial-training:3f2a", "namespace": "ml",
        "kubeconfig": cluster.config, "timeout": "1h0m0s", **changes})
    return TektonOrchestrator(Store.from_settings(), settings)


def request(pipeline, params: dict[str, object]) -> RunRequest:  # type: ignore[no-untyped-def]
    """A run recorded in the store, as sundial records it before calling submit."""
    return recorded_run(pipeline, params)


def test_submit_applies_the_pipeline_and_creates_a_pipeline_run(
        cluster: Cluster, training) -> None:  # type: ignore[no-untyped-def]
    ref = backend(cluster).submit(request(training, {"lr": 0.5}))
    sent = [(verb, path.rsplit("/", 1)[-1]) for verb, path, _ in cluster.requests]
    assert sent == [("POST", "tasks"), ("POST", "tasks"), ("POST", "pipelines"),
                    ("POST", "pipelineruns")]
    namespace, _, name = ref.removeprefix("tekton:").partition("/")
    assert namespace == "ml"
    run = cluster.objects[("ml", "pipelineruns", name)]
    (recorded,) = Store.from_settings().list_runs()
    assert run["spec"]["params"] == [{"name": "run-id", "value": recorded.id}]
    assert run["spec"]["pipelineRef"]["name"].startswith("training-v")
    task = cluster.objects[("ml", "tasks", run["spec"]["pipelineRef"]["name"] + "-train")]
    assert task["spec"]["steps"][0]["args"] == [
        "step", "run", "--run-id", "$(params.run-id)", "train"]


def test_a_second_run_of_the_same_version_replaces_tasks_in_place(
        cluster: Cluster, training) -> None:  # type: ignore[no-untyped-def]
    orchestrator = backend(cluster)
    first = orchestrator.submit(request(training, {"lr": 0.5}))
    second = orchestrator.submit(request(training, {"lr": 0.5}))
    assert first != second
    verbs = [verb for verb, path, _ in cluster.requests if "/tasks" in path]
    # create, conflict, read, replace: the Tasks keep their names across runs.
    assert verbs[2:] == ["POST", "GET", "PUT", "POST", "GET", "PUT"]
    assert len([k for k in cluster.objects if k[1] == "pipelineruns"]) == 2


@pytest.mark.parametrize(("status", "reason", "state"), [
    (None, None, "queued"),
    ("Unknown", "Pending", "queued"),
    ("Unknown", "Running", "running"),
    ("True", "Succeeded", "completed"),
    ("False", "Failed", "failed"),
    ("False", "PipelineRunTimeout", "failed"),
    ("False", "Cancelled", "cancelled"),
])
def test_run_status_follows_the_succeeded_condition(
        cluster: Cluster, training, status: str | None, reason: str | None,
        state: str) -> None:  # type: ignore[no-untyped-def]
    orchestrator = backend(cluster)
    ref = orchestrator.submit(request(training, {}))
    name = ref.rpartition("/")[2]
    if status is not None and reason is not None:
        cluster.set_condition("ml", name, status, reason,
                              "Tasks Completed: 1 (Failed: 1, Cancelled 0), Skipped: 1")
    found = orchestrator.run_status(ref)
    assert found.status == state
    if state in ("failed", "cancelled"):
        assert found.reason == (f"Tekton: {reason} (Tasks Completed: 1 (Failed: 1, "
                                "Cancelled 0), Skipped: 1)")


def test_cancel_sets_spec_status(cluster: Cluster, training) -> None:  # type: ignore[no-untyped-def]
    orchestrator = backend(cluster)
    ref = orchestrator.submit(request(training, {}))
    orchestrator.cancel(ref)
    assert cluster.objects[("ml", "pipelineruns", ref.rpartition("/")[2])]["spec"][
        "status"] == "Cancelled"


def test_unreachable_cluster(training, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    nowhere = Cluster(url="http://127.0.0.1:9").kubeconfig(tmp_path / "nowhere")
    settings = TektonSettings(image="img:1", kubeconfig=nowhere)  # type: ignore[call-arg]
    with pytest.raises(OrchestratorError) as info:
        TektonOrchestrator(Store.from_settings(), settings).submit(request(training, {}))
    assert "cannot reach the Kubernetes API at http://127.0.0.1:9" in info.value.headline
    assert "kubeconfig" in info.value.fix


def test_forbidden_and_missing(cluster: Cluster, training) -> None:  # type: ignore[no-untyped-def]
    cluster.forbid = True
    with pytest.raises(OrchestratorError, match="forbidden") as info:
        backend(cluster).submit(request(training, {}))
    assert "RBAC rights to create tasks in 'ml'" in info.value.fix
    cluster.forbid = False
    with pytest.raises(NotFoundError, match="not found"):
        backend(cluster).run_status("tekton:ml/nothing-here")


def test_no_image_and_no_scheduler(cluster: Cluster, training) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(OrchestratorError, match="no image") as info:
        backend(cluster, image=None).submit(request(training, {}))
    assert "SUNDIAL_TEKTON_IMAGE" in info.value.fix
    assert cluster.requests == []
    from sundial import Schedule

    with pytest.raises(UnsupportedScheduleError) as refused:
        TektonOrchestrator.check_schedule(Schedule(cron_expression="0 9 * * *"))
    assert "sundial mode" in refused.value.fix
    assert not TektonOrchestrator.native_schedules()


def test_sundial_mode_runs_a_tick_as_a_pipeline_run(
        cluster: Cluster, training, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """A schedule on tekton lives in sundial's scheduler: its tick's run is submitted as a
    PipelineRun by the worker, which follows the run's condition to its end and records
    Tekton's reason. Cannot show: a Tekton controller failing a real TaskRun (the test
    writes the condition as the controller would) or the scheduler's worker process (the
    worker runs in this process)."""
    from sundial import Schedule
    from sundial.dispatch import register
    from sundial.scheduler.worker import run_worker

    monkeypatch.setenv("SUNDIAL_POLL_SECONDS", "0.05")
    store = Store.from_settings()
    options = {"image": "localhost/sundial-training:3f2a", "namespace": "ml",
               "kubeconfig": cluster.config}
    done = register(training, {"lr": 0.5}, Schedule(name="hourly-tk", cron_expression="0 * * * *",
                                                    timezone="UTC"),
                    orchestrator="tekton", options=options, store=store)
    assert done.platform_name is None  # sundial mode: nothing was made on the cluster
    assert cluster.requests == []
    run_id = next_tick_run(store)

    def runs() -> list[str]:
        return [name for _ns, plural, name in list(cluster.objects) if plural == "pipelineruns"]

    # Tekton's controller fails the run once its PipelineRun exists.
    thread = when(lambda: bool(runs()), lambda: cluster.set_condition(
        "ml", runs()[0], "False", "Failed",
        "Tasks Completed: 1 (Failed: 1, Cancelled 0), Skipped: 1"))
    assert run_worker(run_id) == 1
    thread.join()
    run = store.get_run(run_id)
    assert run.status == "failed"
    assert run.error is not None and "Tekton: Failed" in run.error
    assert run.schedule_id == done.info.id and run.nominal_at is not None
    (pipeline_run,) = [o for k, o in cluster.objects.items() if k[1] == "pipelineruns"]
    assert pipeline_run["spec"]["params"] == [{"name": "run-id", "value": run_id}]



@pytest.mark.parametrize("fail", [False, True])
def test_run_now_end_to_end_on_the_emulated_controller(
        cluster: Cluster, tmp_path: Path, sqlite_env: Path, fail: bool) -> None:
    """Run now through ``sundial.dispatch``: the PipelineRun is run by ``emulator.py`` (each
    Task's step as its command says, here), and ``run_status`` follows it; a failed task's
    reason reaches the run and the Task Tekton skipped is recorded skipped. Cannot show:
    pods, images, a real controller."""
    from tekton.emulator import run_pipeline_run

    cluster.controller = run_pipeline_run
    options = {"image": "localhost/sundial-flow:1", "namespace": "ml",
               "kubeconfig": cluster.config}
    state, record = run_failable(tmp_path, "tekton", options, fail)
    assert str(record.external_id).startswith("tekton:ml/flow-v")
    if fail:
        assert "Tekton: Failed (Tasks Completed: 2 (Failed: 1" in str(state.reason)

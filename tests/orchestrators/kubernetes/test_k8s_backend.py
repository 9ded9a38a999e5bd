"""The Kubernetes backend through the contract: run now, the schedule lifecycle, runs the
CronJob makes, failures with Kubernetes' reason, and bad input that leaves nothing behind.

All through the real ``kubernetes`` client against the loopback API double. What it cannot
show: the real Job and CronJob controllers (the double makes a Job's pod at once and never
runs it; a test runs the pod's step commands itself, exactly as written in the manifest, and
ends Jobs by hand), real RBAC evaluation, image pulls, and a real cluster's timing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from apiserver import ApiServer
from kubelet import Kubelet
from orchestrators_loopback import training_pipeline
from typer.testing import CliRunner

from sundial import Schedule
from sundial.cli.app import app
from sundial.dispatch import register, run_now
from sundial.errors import NotFoundError, OrchestratorError, UnsupportedScheduleError
from sundial.orchestrators.registry import get_orchestrator
from sundial.store.store import Store


@pytest.fixture
def k8s(sqlite_env: Path, kubeconfig: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SUNDIAL_KUBERNETES_KUBECONFIG", str(kubeconfig))
    monkeypatch.setenv("SUNDIAL_KUBERNETES_IMAGE", "registry.example/ml/training:v1")
    return sqlite_env


def test_run_now_is_one_job_and_an_oom_killed_step_fails_the_run(
        k8s: Path, api: ApiServer, tmp_path: Path) -> None:
    pipeline = training_pipeline(tmp_path, "k8s_run_now")
    run = run_now(pipeline, {"lr": 0.5}, orchestrator="kubernetes")
    store = Store.from_settings()
    record = store.get_run(run.id)
    assert record.status == "queued"
    (job,) = api.of_kind("Job")
    name = job["metadata"]["name"]
    assert job["metadata"]["labels"]["sundial.io/run-id"] == run.id
    backend = get_orchestrator("kubernetes", store)
    ref = f"default/{name}"
    assert backend.run_status(ref).status == "running"
    Kubelet(api).run(name, containers=1, finish=False)  # `load` ran; then `train` was
    api.finish(name, ok=False, container="step-train", reason="OOMKilled", exit_code=137)  # killed
    state = backend.run_status(ref)
    assert state.status == "failed" and state.reason is not None
    assert "OOMKilled (exit code 137)" in state.reason
    after = store.get_run(run.id)
    assert after.status == "failed" and "OOMKilled" in (after.error or "")
    assert after.steps["load"].status == "completed"
    assert after.steps["train"].status == "failed"
    assert "OOMKilled" in (after.steps["train"].error or "")


def test_the_schedule_lifecycle_on_a_cronjob(k8s: Path, api: ApiServer, tmp_path: Path) -> None:
    pipeline = training_pipeline(tmp_path, "k8s_lifecycle")
    done = register(pipeline, {}, Schedule(name="Nightly Training", cron_expression="5 14 * * 3",
                                           timezone="Europe/Berlin", overlap="skip"),
                    orchestrator="kubernetes")
    ref = done.info.record.native_ref
    assert ref == "default/nightly-training"
    (cron,) = api.of_kind("CronJob")
    assert cron["spec"]["schedule"] == "5 14 * * 3"
    assert cron["spec"]["timeZone"] == "Europe/Berlin"
    assert cron["spec"]["concurrencyPolicy"] == "Forbid" and cron["spec"]["suspend"] is False
    store = Store.from_settings()
    backend = get_orchestrator("kubernetes", store)
    backend.pause_schedule(ref)
    assert api.get("CronJob", "nightly-training")["spec"]["suspend"] is True  # type: ignore[index]
    backend.resume_schedule(ref)
    platform = backend.describe_schedule(ref)
    assert platform.exists and platform.paused is False
    assert platform.details["schedule"] == "5 14 * * 3"
    # A tick fired by the controller: its steps create the run with the schedule and tick.
    tick = datetime(2026, 12, 9, 13, 5, tzinfo=UTC)
    fired = api.fire("nightly-training", tick)
    Kubelet(api).run(fired, finish=False)
    run_id = store.run_for_external_id(f"default/{fired}")
    assert run_id is not None
    run = store.get_run(run_id)
    assert run.status == "completed"
    assert run.schedule_id == done.info.id and run.nominal_at == tick
    assert backend.run_status(f"default/{fired}").status == "running"  # the Job's own view
    # Delete: the CronJob goes, and with it the Jobs it owns.
    backend.delete_schedule(ref)
    backend.delete_schedule(ref)  # idempotent
    assert api.of_kind("CronJob") == [] and api.of_kind("Job") == []
    assert not backend.describe_schedule(ref).exists


def test_an_exact_interval_runs_its_due_tick_at_once(k8s: Path, api: ApiServer,
                                                     tmp_path: Path) -> None:
    pipeline = training_pipeline(tmp_path, "k8s_interval")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    before = datetime.now(UTC).timestamp()
    register(pipeline, {}, Schedule(name="every-10", interval_second=600, start_time=start,
                                    overlap="allow"), orchestrator="kubernetes")
    (cron,) = api.of_kind("CronJob")
    assert (cron["spec"]["schedule"], cron["spec"]["timeZone"]) == \
        ("0,10,20,30,40,50 * * * *", "Etc/UTC")
    (due,) = api.of_kind("Job")
    minutes = int(due["metadata"]["name"].rsplit("-", 1)[1])
    after = datetime.now(UTC).timestamp()
    # The newest tick at registration, on its grid (a 10-minute turn may pass meanwhile).
    assert before - 600 < minutes * 60 <= after and minutes % 10 == 0
    assert due["metadata"]["ownerReferences"][0]["name"] == "every-10"


def test_bad_input_leaves_nothing_behind(k8s: Path, api: ApiServer, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    pipeline = training_pipeline(tmp_path, "k8s_bad")
    store = Store.from_settings()
    cron = Schedule(cron_expression="0 6 * * *", timezone="UTC", overlap="skip")
    with pytest.raises(NotFoundError, match="namespace 'ml' does not exist"):
        register(pipeline, {}, cron.replace(name="a"), orchestrator="kubernetes",
                 options={"namespace": "ml"})
    api.forbidden.add(("create", "cronjobs"))
    with pytest.raises(OrchestratorError, match="forbids this to create CronJob"):
        register(pipeline, {}, cron.replace(name="b"), orchestrator="kubernetes")
    api.forbidden = {("create", "jobs")}  # the CronJob is made, its due tick's Job is not
    with pytest.raises(OrchestratorError, match="forbids this to create Job"):
        register(pipeline, {}, Schedule(name="c", interval_second=600, overlap="allow",
                                        start_time=datetime(2026, 1, 1, tzinfo=UTC)),
                 orchestrator="kubernetes")
    assert api.of_kind("CronJob") == [] and api.of_kind("Job") == []
    from sundial.client import Client

    assert Client(store=store).schedules.list() == []
    with pytest.raises(UnsupportedScheduleError, match="121594"):
        register(pipeline, {}, Schedule(name="d", cron_expression="30 2 * * *",
                                        timezone="Europe/Berlin", overlap="skip"),
                 orchestrator="kubernetes")
    monkeypatch.setenv("SUNDIAL_KUBERNETES_KUBECONFIG", str(tmp_path / "missing"))
    with pytest.raises(OrchestratorError, match="cannot load the Kubernetes configuration"):
        run_now(pipeline, {}, orchestrator="kubernetes")


def test_deploy_dry_run_prints_yaml_to_kubectl_apply(k8s: Path, api: ApiServer,
                                                     tmp_path: Path) -> None:
    training_pipeline(tmp_path, "k8s_deploy")
    result = CliRunner().invoke(app, [
        "deploy", "kubernetes", f"{tmp_path}/k8s_deploy.py:training", "--image", "reg/t:1",
        "--cron", "5 14 * * 3", "--tz", "Europe/Berlin", "--overlap", "skip", "--dry-run"])
    assert result.exit_code == 0, result.output
    docs: list[dict[str, Any]] = list(yaml.safe_load_all(result.output))
    assert [d["kind"] for d in docs] == ["CronJob"]
    assert docs[0]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0][
        "image"] == "reg/t:1"
    assert api.requests == []  # a dry run sends nothing
    import kubernetes_validate

    kubernetes_validate.validate(docs[0], "1.30.0", strict=True)
    refused = CliRunner().invoke(app, [
        "deploy", "kubernetes", f"{tmp_path}/k8s_deploy.py:training", "--image", "reg/t:1",
        "--cron", "30 2 * * *", "--tz", "Europe/Berlin", "--overlap", "skip", "--dry-run"])
    assert isinstance(refused.exception, UnsupportedScheduleError)  # main() prints it
    assert "121594" in refused.exception.headline


def test_trigger_backfill_update_and_pause_through_the_schedules_api(
        k8s: Path, api: ApiServer, tmp_path: Path) -> None:
    from datetime import timedelta

    from sundial.client import Client

    pipeline = training_pipeline(tmp_path, "k8s_api")
    register(pipeline, {"lr": 0.2}, Schedule(name="hourly", cron_expression="0 * * * *",
                                             timezone="UTC", overlap="skip"),
             orchestrator="kubernetes")
    schedules = Client().schedules
    run_id = schedules.trigger("hourly")
    (job,) = api.of_kind("Job")
    assert job["metadata"]["annotations"] == {"cronjob.kubernetes.io/instantiate": "manual"}
    assert job["metadata"]["labels"]["sundial.io/run-id"] == run_id
    Kubelet(api).run(job["metadata"]["name"])  # the trigger's pod runs that very run
    store = Store.from_settings()
    assert store.get_run(run_id).status == "completed"
    assert store.get_run(run_id).external_id == f"default/{job['metadata']['name']}"
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    schedules.backfill("hourly", hour - timedelta(hours=3), hour - timedelta(hours=1))
    runs = {j["metadata"]["labels"]["sundial.io/run-id"] for j in api.of_kind("Job")}
    backfilled = [r for r in store.list_runs() if r.id in runs and r.id != run_id]
    assert sorted(r.nominal_at for r in backfilled) == [  # type: ignore[type-var]
        hour - timedelta(hours=3), hour - timedelta(hours=2), hour - timedelta(hours=1)]
    schedules.update("hourly", cron_expression="30 * * * *")
    cron = api.get("CronJob", "hourly")
    assert cron is not None and cron["spec"]["schedule"] == "30 * * * *"
    schedules.pause("hourly")
    assert api.get("CronJob", "hourly")["spec"]["suspend"] is True  # type: ignore[index]
    schedules.resume("hourly")
    assert api.get("CronJob", "hourly")["spec"]["suspend"] is False  # type: ignore[index]


def test_the_deploy_hook_prints_yaml_only_for_a_dry_run(k8s: Path, api: ApiServer,
                                                       tmp_path: Path) -> None:
    """``sundial deploy kubernetes`` hands its parsed request to ``deploy.cli_deploy``."""
    from types import SimpleNamespace

    from sundial.orchestrators.kubernetes.deploy import cli_deploy

    pipeline = training_pipeline(tmp_path, "k8s_hook")
    request = SimpleNamespace(pipeline=pipeline, params={}, name=None, options={},
                              schedule=Schedule(cron_expression="0 6 * * *", timezone="UTC"),
                              switches={})
    assert cli_deploy(request) is None  # no --dry-run: the contract's deploy goes on
    request.switches = {"dry_run": "true"}
    lines = cli_deploy(request)
    assert lines is not None
    text = "\n".join(lines)
    assert "\nkind: CronJob\n" in text
    assert "# overlap=queue left at its default" in text
    assert api.requests == []

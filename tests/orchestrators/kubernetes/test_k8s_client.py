"""The official kubernetes client against the loopback API double: the calls sundial makes,
the errors it turns them into, owner references and the Job's reason for a failed run.

What these cannot show: a real API server's controllers (the double makes a Job's pod at once
and never runs it; a test ends Jobs by hand), real RBAC evaluation (403s are configured),
admission webhooks, quotas, and the timing of a real cluster.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from apiserver import ApiServer

from sundial.errors import AlreadyExistsError, NotFoundError, OrchestratorError
from sundial.orchestrators.kubernetes.client import KubeClient
from sundial.orchestrators.kubernetes.manifests import (
    PodOptions,
    RunIdentity,
    cronjob_manifest,
    job_from_cronjob,
    job_manifest,
)
from sundial.orchestrators.kubernetes.status import job_state

OPTIONS = PodOptions(image="localhost/sundial-tests:1")
STEPS = ["make", "total"]


def _cronjob() -> dict[str, object]:
    return cronjob_manifest("numbers-nightly", OPTIONS, pipeline="numbers",
                            schedule_name="numbers-nightly",
                            identity=RunIdentity(version_id=1, schedule_id="s1"), steps=STEPS,
                            cron="5 14 * * 3", time_zone="Europe/Berlin",
                            concurrency_policy="Forbid", suspend=False)


def test_lifecycle_calls_and_cascading_delete(api: ApiServer, kubeconfig: Path) -> None:
    kube = KubeClient(kubeconfig=str(kubeconfig))
    kube.namespace_exists("default")
    created = kube.create(_cronjob())
    assert created["metadata"]["uid"] and created["spec"]["timeZone"] == "Europe/Berlin"
    assert kube.suspend_cronjob("numbers-nightly", "default", True)["spec"]["suspend"] is True
    body = _cronjob()
    body["spec"]["schedule"] = "0 6 * * *"  # type: ignore[index]
    assert kube.replace_cronjob(body)["spec"]["schedule"] == "0 6 * * *"
    live = kube.read("CronJob", "numbers-nightly", "default")
    manual = kube.create(job_from_cronjob(live, "numbers-nightly-manual", "run-1"))
    assert manual["metadata"]["ownerReferences"][0]["uid"] == live["metadata"]["uid"]
    fired = api.fire("numbers-nightly", datetime(2026, 12, 2, 6, 0, tzinfo=UTC))
    assert len(kube.pods_of_job(fired, "default")) == 1
    assert [m for m, p, _ in api.requests if "cronjobs" in p] == [
        "POST", "PATCH", "PUT", "GET"]
    kube.delete("CronJob", "numbers-nightly", "default")
    # Background propagation: the CronJob's Jobs and their pods are gone with it.
    assert api.of_kind("CronJob") == api.of_kind("Job") == api.of_kind("Pod") == []
    with pytest.raises(NotFoundError, match="numbers-nightly"):
        kube.read("CronJob", "numbers-nightly", "default")


def test_bad_input_is_one_clear_error(api: ApiServer, kubeconfig: Path,
                                      tmp_path: Path) -> None:
    kube = KubeClient(kubeconfig=str(kubeconfig))
    with pytest.raises(NotFoundError, match="namespace 'nowhere' does not exist") as info:
        kube.namespace_exists("nowhere")
    assert "kubectl create namespace nowhere" in info.value.fix
    job = job_manifest("run-a", PodOptions(image="x", namespace="nowhere"), "r", "p", STEPS)
    with pytest.raises(NotFoundError, match="namespace 'nowhere' does not exist"):
        kube.create(job)
    api.forbidden.add(("create", "cronjobs"))
    with pytest.raises(OrchestratorError, match="forbids this to create CronJob") as denied:
        kube.create(_cronjob())
    assert "kubectl auth can-i create cronjobs -n default" in denied.value.fix
    kube.create(job_manifest("run-a", OPTIONS, "r", "p", STEPS))
    with pytest.raises(AlreadyExistsError, match="exists already"):
        kube.create(job_manifest("run-a", OPTIONS, "r", "p", STEPS))
    bad = job_manifest("run-b", OPTIONS, "r", "p", STEPS)
    bad["spec"]["template"]["spec"]["containers"][0]["cmd"] = ["x"]
    # Refused by the client's own model check (kubernetes >= 35) or by the API (422).
    with pytest.raises(OrchestratorError, match=r"(not valid|HTTP 422).*cmd"):
        kube.create(bad)
    api.port = 9  # nothing listens on the discard port
    gone = KubeClient(kubeconfig=str(api.kubeconfig(tmp_path / "gone")))
    with pytest.raises(OrchestratorError, match=r"cannot reach the Kubernetes API at "
                       r"http://127\.0\.0\.1:9") as unreachable:
        gone.namespace_exists("default")
    assert "kubeconfig" in unreachable.value.fix
    with pytest.raises(OrchestratorError, match="context 'nope'"):
        KubeClient(kubeconfig=str(kubeconfig), context="nope")


@pytest.mark.parametrize("how,expected", [
    (dict(ok=True), ("completed", None, None)),
    (dict(ok=False, container="step-make", reason="OOMKilled", exit_code=137),
     ("failed", "container step-make terminated: OOMKilled (exit code 137)", "step-make")),
    (dict(ok=False, pod_reason="Evicted"), ("failed", ": Evicted: The node was low", None)),
])
def test_run_state_from_the_job_and_its_pods(api: ApiServer, kubeconfig: Path,
                                             how: dict[str, object],
                                             expected: tuple[str, str | None, str | None]) -> None:
    kube = KubeClient(kubeconfig=str(kubeconfig))
    kube.create(job_manifest("run-c", OPTIONS, "r", "p", STEPS))
    running = job_state(kube.read("Job", "run-c", "default"), kube.pods_of_job("run-c", "default"))
    assert running.status == "running"
    api.finish("run-c", **how)  # type: ignore[arg-type]
    state = job_state(kube.read("Job", "run-c", "default"), kube.pods_of_job("run-c", "default"))
    assert state.status == expected[0]
    if expected[1] is None:
        assert state.reason is None
    else:
        assert state.reason is not None and expected[1] in state.reason
        assert "Job failed: BackoffLimitExceeded" in state.reason
    assert state.step_container == expected[2]

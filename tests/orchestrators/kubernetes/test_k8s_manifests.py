"""The manifests sundial sends, checked against the Kubernetes API schema (1.30, strict) with
`kubernetes-validate --strict`, and by `kubectl apply --dry-run=client` where kubectl is
installed.

What this cannot show: kubectl's client-side dry run needs an API server for discovery, so it
runs against the loopback double, with --validate=false (field validation needs the server's
OpenAPI document, which the double does not serve): it proves the YAML decodes into the
API's kinds and that kubectl would create them; the field-level check is kubernetes-validate's.
Neither checks cron strings (the mapping tests do).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from apiserver import ApiServer

from sundial.orchestrators.kubernetes.manifests import (
    PodOptions,
    RunIdentity,
    cronjob_manifest,
    dns_name,
    job_from_cronjob,
    job_manifest,
)

STEPS = ["load", "train", "evaluate"]
FULL = PodOptions(
    image="registry.example/team/training:3f2a", namespace="ml",
    service_account="sundial-runner", resources={"requests": {"cpu": "500m", "memory": "1Gi"},
                                                 "limits": {"memory": "2Gi"}},
    node_selector={"pool": "cpu"}, tolerations=[{"key": "dedicated", "operator": "Equal",
                                                 "value": "ml", "effect": "NoSchedule"}],
    image_pull_secrets=["regcred"], env={"SUNDIAL_ARTIFACT_URI": "s3://bucket/sundial"},
    env_secret="sundial-store")


def _manifests() -> list[dict[str, Any]]:
    cron = cronjob_manifest(
        "Training Nightly!", FULL, pipeline="training", schedule_name="training-nightly",
        identity=RunIdentity(version_id=7, params={"lr": 0.1}, schedule_id="sch-1"),
        steps=STEPS, cron="5 14 * * 3", time_zone="Europe/Berlin",
        concurrency_policy="Forbid", suspend=False, starting_deadline_seconds=300)
    cron["metadata"]["uid"] = "0b6c-uid"
    job = job_manifest("sundial-training-1234", FULL, "1234abcd-run", "training", STEPS)
    manual = job_from_cronjob(cron, "training-nightly-manual-1", "5678-run")
    return [cron, job, manual]


def test_every_manifest_passes_kubernetes_validate_strict(tmp_path: Path) -> None:
    path = tmp_path / "all.yaml"
    path.write_text(yaml.safe_dump_all(_manifests(), sort_keys=False))
    tool = Path(sys.executable).parent / "kubernetes-validate"
    done = subprocess.run([str(tool), "--strict", "-k", "1.30.0", str(path)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(" passed for resource ") == 3


def test_kubernetes_validate_catches_a_wrong_field(tmp_path: Path) -> None:
    """The check above can fail: a field the API does not have is rejected."""
    bad = _manifests()[1]
    bad["spec"]["template"]["spec"]["containers"][0]["cmd"] = ["x"]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    tool = Path(sys.executable).parent / "kubernetes-validate"
    done = subprocess.run([str(tool), "--strict", "-k", "1.30.0", str(path)],
                          capture_output=True, text=True, check=False)
    assert done.returncode != 0 and "cmd" in done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_client_dry_run_accepts_them(tmp_path: Path, api: ApiServer) -> None:
    api.namespaces.add("ml")
    path = tmp_path / "all.yaml"
    path.write_text(yaml.safe_dump_all(_manifests(), sort_keys=False))
    config = api.kubeconfig(tmp_path / "kubeconfig")
    done = subprocess.run(["kubectl", "--kubeconfig", str(config), "apply", "--dry-run=client",
                           "--validate=false", "-f", str(path), "-o", "name"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["cronjob.batch/training-nightly", "job.batch/"
                                   "sundial-training-1234", "job.batch/training-nightly-manual-1"]
    assert not api.of_kind("Job")  # a dry run creates nothing


def test_one_pod_per_run_with_a_container_per_step_in_order() -> None:
    cron, job, manual = _manifests()
    pod = job["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["initContainers"]] == ["step-load", "step-train"]
    assert [c["name"] for c in pod["containers"]] == ["step-evaluate"]
    assert pod["containers"][0]["args"] == ["--run-id", "1234abcd-run", "evaluate"]
    assert pod["restartPolicy"] == "Never" and job["spec"]["backoffLimit"] == 0
    assert job["metadata"]["labels"]["sundial.io/run-id"] == "1234abcd-run"
    assert pod["serviceAccountName"] == "sundial-runner"
    assert pod["imagePullSecrets"] == [{"name": "regcred"}]
    # A CronJob's own Jobs create their run, keyed by the Job's name (downward API).
    tmpl = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert "$(SUNDIAL_JOB_NAME)" in tmpl["args"]
    assert tmpl["env"][-1]["valueFrom"]["fieldRef"]["fieldPath"] == \
        "metadata.labels['batch.kubernetes.io/job-name']"
    assert cron["spec"]["timeZone"] == "Europe/Berlin" and "TZ" not in cron["spec"]["schedule"]
    # kubectl create job --from=cronjob/...: the template, owned by the CronJob, one run id.
    assert manual["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    assert manual["metadata"]["annotations"] == {"cronjob.kubernetes.io/instantiate": "manual"}
    manual_pod = manual["spec"]["template"]["spec"]
    assert manual_pod["initContainers"][0]["args"] == ["--run-id", "5678-run", "load"]
    assert all(e["name"] != "SUNDIAL_JOB_NAME" for e in manual_pod["containers"][0]["env"])
    assert manual_pod["nodeSelector"] == {"pool": "cpu"}


def test_names_become_valid_and_distinct() -> None:
    assert dns_name("Training Nightly!") == "training-nightly"
    long_a, long_b = "a" * 70 + "x", "a" * 70 + "y"
    assert len(dns_name(long_a, 52)) == 52 and dns_name(long_a, 52) != dns_name(long_b, 52)


def test_the_tick_of_a_cronjob_made_job_comes_from_its_name() -> None:
    from datetime import UTC, datetime

    from sundial.orchestrators.kubernetes.manifests import nominal_from_job_name

    tick = datetime(2026, 12, 9, 13, 5, tzinfo=UTC)
    assert nominal_from_job_name(f"nightly-{int(tick.timestamp()) // 60}") == tick
    with pytest.raises(ValueError, match="does not end in -<minutes"):
        nominal_from_job_name("nightly-manual")

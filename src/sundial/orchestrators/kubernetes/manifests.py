"""The manifests sundial sends to Kubernetes: a Job per run, a CronJob per native schedule.

Pure: values in, plain dicts out (what ``kubectl apply`` takes and the API server receives).

**One pod per run, one container per step.** The run's pod runs the steps as init containers
in dependency order (the last step as the main container), each ``sundial step run`` in the
pipeline's image. Why not a pod per step: a CronJob fires its Jobs with no sundial process
anywhere, so the run must drive itself inside the cluster; one pod per step would need a
controller (Argo, a sundial operator) to start each pod when its inputs are ready. One pod per
run is scheduled once, pulls the image once, keeps each step's log apart (``kubectl logs POD
-c step-NAME``) and carries the failing step's reason (``OOMKilled``, ``Error``) in its
status. The price: steps run one at a time, and a failed step stops the steps after it,
independent branches included (they are recorded ``skipped``).

Deleting a run's Job deletes its pod (the Job controller makes the pod with an owner
reference to the Job); a Job started by hand from a CronJob gets an owner reference to the
CronJob, as ``kubectl create job --from=cronjob/NAME`` does, so deleting the CronJob removes
its Jobs too.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "LABEL_PREFIX",
    "PodOptions",
    "RunIdentity",
    "cronjob_manifest",
    "dns_name",
    "job_from_cronjob",
    "job_manifest",
    "nominal_from_job_name",
    "step_container_name",
]

LABEL_PREFIX = "sundial.io"
#: The label Kubernetes (1.27+) puts on a Job's pods with the Job's name; the steps of a
#: CronJob-made run read their run's identity from it.
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
#: A CronJob's name leaves 11 characters for the controller's "-<minutes>" suffix.
MAX_CRONJOB_NAME = 52


@dataclass(frozen=True)
class PodOptions:
    """Everything about the run's pod that comes from the backend's settings."""

    image: str
    namespace: str = "default"
    service_account: str | None = None
    resources: Mapping[str, Any] = field(default_factory=dict)  # requests / limits
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: Sequence[Mapping[str, Any]] = ()
    image_pull_secrets: Sequence[str] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    env_secret: str | None = None  # a Secret whose keys become environment variables
    image_pull_policy: str = "IfNotPresent"
    backoff_limit: int = 0  # a failed step fails the run; sundial retries nothing behind it
    ttl_seconds_after_finished: int | None = 7 * 24 * 3600


@dataclass(frozen=True)
class RunIdentity:
    """How the steps find their run: a recorded run id (run now, trigger, sundial mode), or,
    for a CronJob's own Jobs, the pipeline version, parameters and schedule, from which the
    first step creates the run, keyed by ``NAMESPACE/JOB`` and timed by the Job's name (the
    controller names each Job ``<cronjob>-<minutes since the epoch of its tick>``)."""

    run_id: str | None = None
    version_id: int | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    schedule_id: str | None = None
    namespace: str = "default"
    from_cronjob: bool = True  # the Job's name carries its tick


    def step_args(self, step: str) -> list[str]:
        """Arguments to the image's entrypoint (``sundial step run``)."""
        if self.run_id is not None:
            return ["--run-id", self.run_id, step]
        assert self.version_id is not None
        args = ["--version-id", str(self.version_id),
                "--external-id", f"{self.namespace}/$(SUNDIAL_JOB_NAME)",
                "--params", json.dumps(dict(self.params), sort_keys=True),
                "--orchestrator", "kubernetes"]
        if self.from_cronjob:
            args += ["--nominal-from-job", "$(SUNDIAL_JOB_NAME)"]
        if self.schedule_id:
            args += ["--schedule-id", self.schedule_id]
        return [*args, step]


def nominal_from_job_name(name: str) -> datetime:
    """The tick of a Job the CronJob controller made, from its name's last part (minutes
    since the Unix epoch, the controller's naming rule since Kubernetes 1.21).

    :raises ValueError: the name does not end in ``-<minutes>``.
    """
    suffix = name.rpartition("-")[2]
    if not suffix.isdigit():
        raise ValueError(f"Job name {name!r} does not end in -<minutes since the epoch>")
    return datetime.fromtimestamp(int(suffix) * 60, UTC)


def dns_name(text: str, limit: int = 63) -> str:
    """``text`` as a DNS-1123 label of at most ``limit`` characters; a hash suffix keeps two
    long names that share a prefix apart."""
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-") or "x"
    if len(name) > limit:
        digest = hashlib.sha1(text.encode()).hexdigest()[:6]
        name = name[:limit - 7].rstrip("-") + "-" + digest
    return name


def step_container_name(step: str) -> str:
    return dns_name(f"step-{step}")


def _labels(values: Mapping[str, str | None]) -> dict[str, str]:
    return {f"{LABEL_PREFIX}/{k}": dns_name(v)[:63] for k, v in values.items() if v}


def _container(options: PodOptions, identity: RunIdentity, step: str) -> dict[str, Any]:
    env: list[dict[str, Any]] = [{"name": k, "value": v} for k, v in sorted(options.env.items())]
    if identity.run_id is None:
        env.append({"name": "SUNDIAL_JOB_NAME", "valueFrom": {"fieldRef": {
            "fieldPath": f"metadata.labels['{JOB_NAME_LABEL}']"}}})
    container: dict[str, Any] = {
        "name": step_container_name(step),
        "image": options.image,
        "imagePullPolicy": options.image_pull_policy,
        "args": identity.step_args(step),
    }
    if env:
        container["env"] = env
    if options.env_secret:
        container["envFrom"] = [{"secretRef": {"name": options.env_secret}}]
    if options.resources:
        container["resources"] = dict(options.resources)
    return container


def pod_template(options: PodOptions, identity: RunIdentity, steps: Sequence[str],
                 labels: Mapping[str, str]) -> dict[str, Any]:
    """The run's pod: every step but the last as an init container, in order."""
    containers = [_container(options, identity, s) for s in steps]
    spec: dict[str, Any] = {"restartPolicy": "Never"}
    if containers[:-1]:
        spec["initContainers"] = containers[:-1]
    spec["containers"] = containers[-1:]
    if options.service_account:
        spec["serviceAccountName"] = options.service_account
    if options.node_selector:
        spec["nodeSelector"] = dict(options.node_selector)
    if options.tolerations:
        spec["tolerations"] = [dict(t) for t in options.tolerations]
    if options.image_pull_secrets:
        spec["imagePullSecrets"] = [{"name": s} for s in options.image_pull_secrets]
    return {"metadata": {"labels": dict(labels)}, "spec": spec}  # a copy: no YAML aliases


def _job_spec(options: PodOptions, identity: RunIdentity, steps: Sequence[str],
              labels: Mapping[str, str]) -> dict[str, Any]:
    spec: dict[str, Any] = {"backoffLimit": options.backoff_limit,
                            "template": pod_template(options, identity, steps, labels)}
    if options.ttl_seconds_after_finished is not None:
        spec["ttlSecondsAfterFinished"] = options.ttl_seconds_after_finished
    return spec


def job_manifest(name: str, options: PodOptions, run_id: str | None, pipeline: str,
                 steps: Sequence[str], *, schedule: str | None = None,
                 owner: Mapping[str, Any] | None = None,
                 annotations: Mapping[str, str] | None = None,
                 identity: RunIdentity | None = None) -> dict[str, Any]:
    """A Job running the recorded run ``run_id``, labelled with it (or, with ``identity``, a
    Job whose steps create their run, for ``kubectl apply`` of a dry-run deploy)."""
    labels = _labels({"run-id": run_id, "pipeline": pipeline, "schedule": schedule})
    metadata: dict[str, Any] = {"name": dns_name(name), "namespace": options.namespace,
                                "labels": labels}
    if annotations:
        metadata["annotations"] = dict(annotations)
    if owner is not None:
        metadata["ownerReferences"] = [dict(owner)]
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata,
            "spec": _job_spec(options, identity or RunIdentity(run_id=run_id), steps, labels)}


def cronjob_manifest(name: str, options: PodOptions, *, pipeline: str, schedule_name: str,
                     identity: RunIdentity, steps: Sequence[str], cron: str, time_zone: str,
                     concurrency_policy: str, suspend: bool,
                     starting_deadline_seconds: int | None = None,
                     history: tuple[int, int] = (3, 3)) -> dict[str, Any]:
    """A CronJob whose Jobs create their run on first use (keyed by the Job's name)."""
    labels = _labels({"pipeline": pipeline, "schedule": schedule_name})
    spec: dict[str, Any] = {
        "schedule": cron,
        "timeZone": time_zone,
        "concurrencyPolicy": concurrency_policy,
        "suspend": suspend,
        "successfulJobsHistoryLimit": history[0],
        "failedJobsHistoryLimit": history[1],
        "jobTemplate": {"metadata": {"labels": dict(labels)},
                        "spec": _job_spec(options, identity, steps, labels)},
    }
    if starting_deadline_seconds is not None:
        spec["startingDeadlineSeconds"] = starting_deadline_seconds
    return {"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": dns_name(name, MAX_CRONJOB_NAME),
                         "namespace": options.namespace, "labels": dict(labels)},
            "spec": spec}


def job_from_cronjob(cronjob: Mapping[str, Any], name: str, run_id: str) -> dict[str, Any]:
    """A Job made from a CronJob's own ``jobTemplate``, as ``kubectl create job
    --from=cronjob/NAME`` makes it (owned by the CronJob, annotated
    ``cronjob.kubernetes.io/instantiate: manual``), whose steps run the recorded run
    ``run_id`` instead of creating one from the Job's name."""
    meta = cronjob["metadata"]
    template = copy.deepcopy(dict(cronjob["spec"]["jobTemplate"]))
    labels = dict(template.get("metadata", {}).get("labels", {}))
    labels[f"{LABEL_PREFIX}/run-id"] = run_id
    spec = template["spec"]
    spec["template"].setdefault("metadata", {})["labels"] = labels
    pod = spec["template"]["spec"]
    for container in [*pod.get("initContainers", []), *pod["containers"]]:
        container["args"] = RunIdentity(run_id=run_id).step_args(container["args"][-1])
        env = [e for e in container.get("env", []) if e["name"] != "SUNDIAL_JOB_NAME"]
        if env:
            container["env"] = env
        else:
            container.pop("env", None)
    owner = {"apiVersion": "batch/v1", "kind": "CronJob", "name": meta["name"],
             "uid": meta.get("uid", ""), "controller": True, "blockOwnerDeletion": True}
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": dns_name(name), "namespace": meta["namespace"],
                         "labels": labels, "ownerReferences": [owner],
                         "annotations": {"cronjob.kubernetes.io/instantiate": "manual"}},
            "spec": spec}

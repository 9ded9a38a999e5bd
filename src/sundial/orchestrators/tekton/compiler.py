"""Pipeline spec → Tekton resources (``tekton.dev/v1``), as plain dicts. Pure: no I/O.

A sundial pipeline version becomes one ``Task`` per step and one ``Pipeline`` whose tasks
follow the DAG with ``runAfter``; each Task's single container runs
``sundial step run --run-id RUN STEP`` in the pipeline's image. A ``PipelineRun`` passes one
parameter to every task: the id of the run sundial recorded before submitting it, so all tasks
write into that run (its parameters and nominal time are in the store). The store and artifact
settings reach the container from a Secret (``envFrom``), never from the resources themselves.

Retries: a Task runs its step with the step's own ``@step(retries=...)`` inside
``sundial step run``; Tekton's ``retries`` stays 0, since a Tekton retry would start the
whole ``sundial step run`` again and multiply the attempts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["API_VERSION", "GROUP", "TektonImage", "TektonSpec", "compile_pipeline",
           "pipeline_run", "resource_name", "run_ref", "task_name"]

GROUP = "tekton.dev"
VERSION = "v1"
API_VERSION = f"{GROUP}/{VERSION}"
LABEL = "sundial.dev"
_BAD = re.compile(r"[^a-z0-9-]+")
_PARAMS = [{"name": "run-id", "type": "string",
            "description": "the sundial run every task of this PipelineRun writes into"}]


@dataclass(frozen=True)
class TektonImage:
    """How each Task's container runs sundial.

    :param image: an image with sundial and the pipeline's code (``sundial build``).
    :param command: the command that starts sundial in it.
    :param secret: the Secret whose keys become the container's environment
        (``SUNDIAL_DATABASE_URL``, ``SUNDIAL_ARTIFACT_URI``); ``None``: none.
    :param service_account: the ServiceAccount the TaskRuns' pods run as.
    :param env: plain environment for every step (no secrets: it is written into the Task).
    """

    image: str
    command: Sequence[str] = ("sundial",)
    secret: str | None = "sundial-store"
    service_account: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TektonSpec:
    """Everything the Pipeline and Tasks of one pipeline version are made of."""

    pipeline: str
    version_id: int
    steps: Sequence[Mapping[str, Any]]
    namespace: str
    image: TektonImage


def resource_name(text: str, limit: int = 63) -> str:
    """A DNS-1123 label: lowercase letters, digits and ``-``, starting and ending with an
    alphanumeric, at most ``limit`` characters."""
    cleaned = _BAD.sub("-", text.lower()).strip("-")[:limit].rstrip("-")
    return cleaned or "sundial"


def pipeline_name(spec: TektonSpec) -> str:
    """The Pipeline's name: one per pipeline version (its Tasks carry the version's code)."""
    suffix = f"-v{spec.version_id}"
    return resource_name(spec.pipeline, 63 - len(suffix)) + suffix


def task_name(spec: TektonSpec, step_id: str) -> str:
    return resource_name(f"{pipeline_name(spec)}-{step_id}")


def compile_pipeline(spec: TektonSpec) -> list[dict[str, Any]]:
    """The Tasks, then the Pipeline. Deterministic: the same spec gives the same dicts."""
    labels = {f"{LABEL}/pipeline": resource_name(spec.pipeline),
              f"{LABEL}/version": str(spec.version_id)}
    tasks = [_task(spec, str(step["id"]), labels) for step in spec.steps]
    pipeline_tasks = []
    for step in spec.steps:
        entry: dict[str, Any] = {
            "name": resource_name(str(step["id"])),
            "taskRef": {"name": task_name(spec, str(step["id"])), "kind": "Task"},
            "params": [{"name": p["name"], "value": f"$(params.{p['name']})"}
                       for p in _PARAMS],
        }
        upstream = [resource_name(str(u)) for u in step.get("upstream", [])]
        if upstream:
            entry["runAfter"] = upstream
        pipeline_tasks.append(entry)
    pipeline = {
        "apiVersion": API_VERSION, "kind": "Pipeline",
        "metadata": {"name": pipeline_name(spec), "namespace": spec.namespace,
                     "labels": labels},
        "spec": {"description": f"sundial pipeline {spec.pipeline!r}, version "
                                f"{spec.version_id}",
                 "params": [dict(p) for p in _PARAMS], "tasks": pipeline_tasks},
    }
    return [*tasks, pipeline]


def _task(spec: TektonSpec, step_id: str, labels: Mapping[str, str]) -> dict[str, Any]:
    args = ["step", "run", "--run-id", "$(params.run-id)", step_id]
    command = list(spec.image.command)
    step: dict[str, Any] = {"name": "run", "image": spec.image.image,
                            "command": command[:1], "args": [*command[1:], *args]}
    if spec.image.env:
        step["env"] = [{"name": k, "value": v} for k, v in sorted(spec.image.env.items())]
    if spec.image.secret:
        step["envFrom"] = [{"secretRef": {"name": spec.image.secret}}]
    return {
        "apiVersion": API_VERSION, "kind": "Task",
        "metadata": {"name": task_name(spec, step_id), "namespace": spec.namespace,
                     "labels": {**labels, f"{LABEL}/step": resource_name(step_id)}},
        "spec": {"description": f"step {step_id!r} of sundial pipeline {spec.pipeline!r}",
                 "params": [dict(p) for p in _PARAMS], "steps": [step]},
    }


def pipeline_run(spec: TektonSpec, name: str, run_id: str, *,
                 timeout: str | None = None) -> dict[str, Any]:
    """The PipelineRun ``name`` of the spec's Pipeline for the recorded sundial run
    ``run_id``."""
    body: dict[str, Any] = {
        "apiVersion": API_VERSION, "kind": "PipelineRun",
        "metadata": {"name": name, "namespace": spec.namespace,
                     "labels": {f"{LABEL}/pipeline": resource_name(spec.pipeline),
                                f"{LABEL}/version": str(spec.version_id),
                                f"{LABEL}/run": resource_name(run_id)}},
        "spec": {
            "pipelineRef": {"name": pipeline_name(spec)},
            "params": [{"name": "run-id", "value": run_id}],
        },
    }
    if spec.image.service_account:
        body["spec"]["taskRunTemplate"] = {"serviceAccountName": spec.image.service_account}
    if timeout:
        body["spec"]["timeouts"] = {"pipeline": timeout}
    return body


def run_ref(namespace: str, run_name: str) -> str:
    """The platform reference of a PipelineRun, stored as the sundial run's external id."""
    return f"tekton:{namespace}/{run_name}"

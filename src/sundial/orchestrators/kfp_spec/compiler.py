"""A sundial pipeline version → a KFP v2 pipeline spec, with the real ``kfp`` compiler.

One container component per step runs ``sundial step run`` in the pipeline's image, and the
DAG's edges become task dependencies. Kubeflow and Vertex AI both run the result.

A run's identity reaches every step in one of two ways, through one spec:

- **a run sundial recorded** (run now, trigger, back-fill): the pipeline parameter
  ``sundial_run_id`` names it, and each step writes into that run;
- **a run the platform's scheduler made**: ``sundial_run_id`` is empty, and each step creates
  (or joins) the run keyed by the platform's run reference — KFP's and Vertex's placeholders
  for the job, rendered by the platform — with the schedule's id and the tick's nominal time
  (the platform's schedule time), so the store records it like one of sundial's own ticks.

Caching belongs to sundial (KFP's own cache is off on every task, so ``enable_cache=False``
means what it says). A step's ``retries`` are sundial's too: ``sundial step run`` retries
inside the container and records each attempt, so the platform retries nothing (a platform
retry would run the step again after sundial gave up). Resources are per step, from the
backend's settings.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "RUN_ID_PARAM",
    "KfpPipeline",
    "StepResources",
    "compile_package",
    "compile_text",
    "platform_name",
]

#: The pipeline parameter that names a recorded run ("" for runs the platform schedules).
RUN_ID_PARAM = "sundial_run_id"

_NAME_BAD = re.compile(r"[^a-z0-9-]+")


@dataclass(frozen=True)
class StepResources:
    """Kubernetes-style quantities (``"500m"``, ``"2"``, ``"4G"``); None leaves it unset."""

    cpu_request: str | None = None
    cpu_limit: str | None = None
    memory_request: str | None = None
    memory_limit: str | None = None


@dataclass(frozen=True)
class KfpPipeline:
    """Everything one compiled spec is made of.

    :param name: the pipeline's name on the platform (see :func:`platform_name`).
    :param steps: the stored pipeline spec's ``steps`` (``id``, ``upstream``).
    :param orchestrator: recorded on runs the platform's scheduler makes.
    :param job_placeholder: the platform's placeholder for its run reference, which becomes
        the sundial run's external id (KFP: the run's uuid; Vertex: its resource name).
    :param schedule_id: the sundial schedule the spec is deployed for (None: runs only).
    :param env: environment of every step (no secrets: the spec is readable on the platform).
    """

    name: str
    description: str
    image: str
    steps: Sequence[Mapping[str, Any]]
    version_id: int
    params: Mapping[str, Any]
    orchestrator: str
    job_placeholder: str
    argv: Sequence[str] = ("sundial",)
    schedule_id: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    resources: Mapping[str, StepResources] = field(default_factory=dict)
    default_resources: StepResources = StepResources()


def platform_name(name: str) -> str:
    """A name both platforms accept: lower-case letters, digits and dashes, starting with a
    letter, at most 128 characters (Vertex's rule for pipeline and job names)."""
    cleaned = _NAME_BAD.sub("-", name.lower()).strip("-")
    if not cleaned or not cleaned[0].isalpha():
        cleaned = "p-" + cleaned
    return cleaned[:128].rstrip("-")


def compile_package(pipeline: KfpPipeline, path: Path) -> dict[str, Any]:
    """Compile ``pipeline`` to the KFP YAML package at ``path``, load it back with kfp (which
    validates it), and return it as a mapping."""
    import yaml
    from kfp import compiler, components

    compiler.Compiler().compile(_pipeline_func(pipeline), str(path))
    components.load_component_from_file(str(path))  # kfp's own reading of the package
    spec: dict[str, Any] = yaml.safe_load(path.read_text())
    return spec


def compile_text(pipeline: KfpPipeline) -> str:
    """The package as YAML text (for tests and ``describe``)."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "pipeline.yaml"
        compile_package(pipeline, target)
        return target.read_text()


def _component(step_id: str, pipeline: KfpPipeline) -> Any:
    from kfp import dsl

    argv = list(pipeline.argv)
    fixed = ["--version-id", str(pipeline.version_id),
             "--params", json.dumps(dict(pipeline.params), sort_keys=True),
             "--orchestrator", pipeline.orchestrator]
    if pipeline.schedule_id is not None:
        fixed += ["--schedule-id", pipeline.schedule_id]

    def step(run_id: str, job: str, nominal: str) -> dsl.ContainerSpec:
        return dsl.ContainerSpec(
            image=pipeline.image, command=argv[:1],
            args=[*argv[1:], "step", "run", step_id, "--run-id", run_id,
                  "--external-id", job, "--nominal", nominal, *fixed])

    # kfp reads the signature's types, which `from __future__ import annotations` turned
    # into strings, and names the component after the function: one per step.
    step.__annotations__ = {"run_id": str, "job": str, "nominal": str,
                            "return": dsl.ContainerSpec}
    step.__name__ = step.__qualname__ = "step-" + (_NAME_BAD.sub("-", step_id.lower()) or "x")
    return dsl.container_component(step)


def _pipeline_func(pipeline: KfpPipeline) -> Any:
    from kfp import dsl

    components = {str(s["id"]): _component(str(s["id"]), pipeline) for s in pipeline.steps}

    def body(sundial_run_id: str = "") -> None:  # the parameter is RUN_ID_PARAM
        tasks: dict[str, Any] = {}
        for s in pipeline.steps:  # stored in execution order: upstream tasks exist already
            sid = str(s["id"])
            task = components[sid](run_id=sundial_run_id, job=pipeline.job_placeholder,
                                   nominal=dsl.PIPELINE_JOB_SCHEDULE_TIME_UTC_PLACEHOLDER)
            task.set_display_name(sid)
            task.set_caching_options(False)
            for name, value in sorted(pipeline.env.items()):
                task.set_env_variable(name, value)
            _set_resources(task, pipeline.resources.get(sid, pipeline.default_resources))
            for up in s.get("upstream", []):
                task.after(tasks[str(up)])
            tasks[sid] = task

    body.__annotations__ = {"sundial_run_id": str, "return": None}
    return dsl.pipeline(name=pipeline.name, description=pipeline.description)(body)


def _set_resources(task: Any, res: StepResources) -> None:
    if res.cpu_request:
        task.set_cpu_request(res.cpu_request)
    if res.cpu_limit:
        task.set_cpu_limit(res.cpu_limit)
    if res.memory_request:
        task.set_memory_request(res.memory_request)
    if res.memory_limit:
        task.set_memory_limit(res.memory_limit)

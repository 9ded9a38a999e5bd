"""The Tekton backend: each run is a PipelineRun; schedules run in sundial mode.

Tekton Pipelines has no scheduler of its own (Tekton Triggers reacts to events, not to time),
so every Schedule feature is honoured in sundial mode: sundial's scheduler fires each tick
and :meth:`TektonOrchestrator.submit` creates one PipelineRun for it. The Tasks and the
Pipeline of a pipeline version are applied before its first run (idempotent), and
:meth:`run_status` follows the PipelineRun's ``Succeeded`` condition, so a failed or timed-out
TaskRun fails the run with Tekton's reason.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sundial.errors import UnsupportedScheduleError
from sundial.orchestrators.base import SCHEDULE_FEATURES, Capability, Deployment, Orchestrator
from sundial.orchestrators.tekton.client import RunState, TektonClient, run_state
from sundial.orchestrators.tekton.compiler import (
    TektonSpec,
    compile_pipeline,
    external_id,
    pipeline_name,
    pipeline_run,
)
from sundial.orchestrators.tekton.settings import TektonSettings

if TYPE_CHECKING:
    from sundial.definition.pipeline import Pipeline
    from sundial.definition.schedule import Schedule

__all__ = ["TektonOrchestrator"]

_NO_SCHEDULER = UnsupportedScheduleError(
    "orchestrator 'tekton' has no scheduler of its own (Tekton Pipelines runs a PipelineRun "
    "when one is created, never on a clock)",
    "use sundial mode: sundial's scheduler fires every tick and creates a PipelineRun for it")


class TektonOrchestrator(Orchestrator):
    """Tekton Pipelines, through the ``kubernetes`` client's custom-objects API."""

    name: ClassVar[str] = "tekton"
    description: ClassVar[str] = ("Tekton Pipelines: a Pipeline with one Task per step, a "
                                  "PipelineRun per run; schedules in sundial mode")
    extra: ClassVar[str | None] = "tekton"
    capabilities: ClassVar[dict[str, Capability]] = dict.fromkeys(SCHEDULE_FEATURES,
                                                                  Capability.SUNDIAL)

    def __init__(self, settings: TektonSettings | None = None,
                 client: TektonClient | None = None) -> None:
        self.settings = settings or TektonSettings.from_env()
        self._client = client

    def client(self) -> TektonClient:
        if self._client is None:
            self._client = TektonClient(self.settings)
        return self._client

    # -- checking -----------------------------------------------------------------------------
    @classmethod
    def check_schedule(cls, schedule: Schedule) -> None:
        raise _NO_SCHEDULER

    # -- runs ---------------------------------------------------------------------------------
    def submit(self, pipeline: Pipeline, params: dict[str, Any],
               nominal: datetime | None = None) -> str:
        """Apply the version's Tasks and Pipeline, create a PipelineRun; returns its
        reference ``tekton:<namespace>/<name>``, which is also the sundial run's external id
        (the run appears in the store when its first task starts)."""
        from sundial.engine.runner import json_params, record_version
        from sundial.store.store import Store

        image = self.settings.task_image()
        graph, _pipeline_id, version_id = record_version(Store.from_settings(), pipeline,
                                                         params)
        spec = TektonSpec(pipeline=pipeline.name, version_id=version_id,
                          params=json_params(params), steps=graph.spec()["steps"],
                          namespace=self.settings.namespace, image=image)
        client = self.client()
        for resource in compile_pipeline(spec):
            client.apply(resource)
        base = pipeline_name(spec)[:54].rstrip("-")
        name = f"{base}-{uuid.uuid4().hex[:8]}"
        client.create_run(pipeline_run(spec, name, (nominal or datetime.now(UTC)),
                                       timeout=self.settings.timeout))
        return external_id(self.settings.namespace, name)

    def run_status(self, ref: str) -> RunState:
        """The PipelineRun's state and Tekton's reason (``ref`` from :meth:`submit`)."""
        name = ref.rpartition("/")[2]
        return run_state(self.client().get_run(name))

    def cancel(self, ref: str) -> None:
        self.client().cancel_run(ref.rpartition("/")[2])

    # -- native schedules: none ---------------------------------------------------------------
    def create_schedule(self, deployment: Deployment) -> str:
        raise _NO_SCHEDULER

    def update_schedule(self, ref: str, deployment: Deployment) -> None:
        raise _NO_SCHEDULER

    def pause_schedule(self, ref: str) -> None:
        raise _NO_SCHEDULER

    def resume_schedule(self, ref: str) -> None:
        raise _NO_SCHEDULER

    def delete_schedule(self, ref: str) -> None:
        raise _NO_SCHEDULER

"""The Tekton backend: each run is a PipelineRun; schedules run in sundial mode.

Tekton Pipelines has no scheduler of its own (Tekton Triggers reacts to events, not to time),
so every Schedule feature is honoured in sundial mode: sundial's scheduler fires each tick,
records its run exactly once, and :meth:`TektonOrchestrator.submit` creates one PipelineRun for
it. The Tasks and the Pipeline of a pipeline version are applied before each run (create, or
replace in place), and :meth:`run_status` follows the PipelineRun's ``Succeeded`` condition,
so a failed or timed-out TaskRun fails the run with Tekton's reason.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import ClassVar

from sundial.orchestrators.base import (
    SCHEDULE_FEATURES,
    SCHEDULE_OPERATIONS,
    Capability,
    Orchestrator,
    RunRequest,
    RunState,
)
from sundial.orchestrators.tekton.client import TektonClient, run_state
from sundial.orchestrators.tekton.compiler import (
    TektonSpec,
    compile_pipeline,
    pipeline_name,
    pipeline_run,
    run_ref,
)
from sundial.orchestrators.tekton.settings import TektonSettings
from sundial.store.schedule_store import ScheduleStore

__all__ = ["TektonOrchestrator"]

_SUNDIAL_MODE = ("Tekton has no scheduler of its own: register the schedule in sundial mode "
                 "(the default on tekton), where sundial's scheduler creates a PipelineRun "
                 "for every tick, and use `sundial schedule ...` on it")


class TektonOrchestrator(Orchestrator):
    """Tekton Pipelines, through the ``kubernetes`` client's custom-objects API."""

    name: ClassVar[str] = "tekton"
    description: ClassVar[str] = ("Tekton Pipelines: a Pipeline with one Task per step, a "
                                  "PipelineRun per run; schedules in sundial mode")
    extra: ClassVar[str | None] = "tekton"
    settings_class = TektonSettings
    settings: TektonSettings
    capabilities: ClassVar[dict[str, Capability]] = dict.fromkeys(SCHEDULE_FEATURES,
                                                                  Capability.SUNDIAL)
    unsupported_operations: ClassVar[dict[str, str]] = dict.fromkeys(SCHEDULE_OPERATIONS,
                                                                     _SUNDIAL_MODE)
    _client: TektonClient | None = None

    def client(self) -> TektonClient:
        if self._client is None:
            self._client = TektonClient(self.settings)
        return self._client

    def submit(self, run: RunRequest) -> str:
        """Apply the version's Tasks and Pipeline, create a PipelineRun for the recorded
        run; returns ``tekton:<namespace>/<pipelinerun>``."""
        image = self.settings.task_image()
        spec_doc, _source = self.store.version_source(run.version_id)
        spec = TektonSpec(pipeline=run.pipeline, version_id=run.version_id,
                          steps=spec_doc["steps"], namespace=self.settings.namespace,
                          image=image)
        client = self.client()
        for resource in compile_pipeline(spec):
            client.apply(resource)
        name = f"{pipeline_name(spec)[:54].rstrip('-')}-{uuid.uuid4().hex[:8]}"
        client.create_run(pipeline_run(spec, name, run.run_id, timeout=self.settings.timeout))
        return run_ref(self.settings.namespace, name)

    def run_status(self, ref: str) -> RunState:
        state = run_state(self.client().get_run(_name(ref)))
        if state.status in ("failed", "cancelled"):  # Tasks Tekton skipped: recorded skipped
            ScheduleStore(self.store).finish_remote_run_of(ref, state.status, state.reason,
                                                           datetime.now(UTC))
        return state

    def cancel(self, ref: str) -> None:
        self.client().cancel_run(_name(ref))


def _name(ref: str) -> str:
    """The PipelineRun's name in a reference ``tekton:<namespace>/<name>``."""
    return ref.rpartition("/")[2]

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
from typing import TYPE_CHECKING, ClassVar

from sundial.orchestrators.base import (
    SCHEDULE_FEATURES,
    SCHEDULE_OPERATIONS,
    Capability,
    Orchestrator,
    RunRequest,
    RunState,
    RunStatus,
)
from sundial.orchestrators.settings import BackendSettings
from sundial.orchestrators.tekton.client import TektonClient, run_state
from sundial.orchestrators.tekton.compiler import (
    TektonSpec,
    compile_pipeline,
    external_id,
    pipeline_name,
    pipeline_run,
)
from sundial.orchestrators.tekton.settings import TektonSettings

if TYPE_CHECKING:
    from sundial.store.store import Store

__all__ = ["TektonOrchestrator"]

_NO_SCHEDULER = ("Tekton Pipelines has no scheduler of its own (it runs a PipelineRun when one "
                 "is created, never on a clock): schedules run in sundial mode, where "
                 "sundial's scheduler fires every tick and creates a PipelineRun for it")


class TektonOrchestrator(Orchestrator):
    """Tekton Pipelines, through the ``kubernetes`` client's custom-objects API."""

    name: ClassVar[str] = "tekton"
    description: ClassVar[str] = ("Tekton Pipelines: a Pipeline with one Task per step, a "
                                  "PipelineRun per run; schedules in sundial mode")
    extra: ClassVar[str | None] = "tekton"
    capabilities: ClassVar[dict[str, Capability]] = dict.fromkeys(SCHEDULE_FEATURES,
                                                                  Capability.SUNDIAL)

    unsupported_operations: ClassVar[dict[str, str]] = dict.fromkeys(SCHEDULE_OPERATIONS,
                                                                     _NO_SCHEDULER)
    # Not yet a BackendSettings (issue 12 converts it): read from the environment.
    settings: TektonSettings  # type: ignore[assignment]

    def __init__(self, store: Store | None = None,
                 settings: TektonSettings | BackendSettings | None = None,
                 client: TektonClient | None = None) -> None:
        from sundial.store.store import Store

        self.store = store or Store.from_settings()
        self.settings = settings if isinstance(settings, TektonSettings) \
            else TektonSettings.from_env()
        self._client = client

    def client(self) -> TektonClient:
        if self._client is None:
            self._client = TektonClient(self.settings)
        return self._client

    # -- runs ---------------------------------------------------------------------------------
    def submit(self, run: RunRequest) -> str:
        """Apply the version's Tasks and Pipeline, create a PipelineRun; returns its
        reference ``tekton:<namespace>/<name>``, which is also the sundial run's external id."""
        image = self.settings.task_image()
        spec_doc, _source = self.store.version_source(run.version_id)
        spec = TektonSpec(pipeline=run.pipeline, version_id=run.version_id,
                          params=dict(run.params), steps=spec_doc["steps"],
                          namespace=self.settings.namespace, image=image)
        client = self.client()
        for resource in compile_pipeline(spec):
            client.apply(resource)
        base = pipeline_name(spec)[:54].rstrip("-")
        name = f"{base}-{uuid.uuid4().hex[:8]}"
        client.create_run(pipeline_run(spec, name, (run.nominal_at or datetime.now(UTC)),
                                       timeout=self.settings.timeout))
        return external_id(self.settings.namespace, name)

    def run_status(self, ref: str) -> RunState:
        """The PipelineRun's state and Tekton's reason (``ref`` from :meth:`submit`)."""
        name = ref.rpartition("/")[2]
        seen = run_state(self.client().get_run(name))
        status: RunStatus = seen.state  # type: ignore[assignment]
        reason = f"{seen.reason}: {seen.message}" if seen.message else seen.reason
        return RunState(status, None if status == "completed" else reason)

    def cancel(self, ref: str) -> None:
        self.client().cancel_run(ref.rpartition("/")[2])

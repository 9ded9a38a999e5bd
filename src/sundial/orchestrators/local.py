"""The local orchestrator: runs in-process; sundial's own scheduler is its native scheduler."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from sundial.orchestrators.base import (
    SCHEDULE_FEATURES,
    Capability,
    Deployment,
    Orchestrator,
)

if TYPE_CHECKING:
    from sundial.definition.pipeline import Pipeline


class LocalOrchestrator(Orchestrator):
    name: ClassVar[str] = "local"
    description: ClassVar[str] = "this machine; sundial's scheduler fires the ticks"
    capabilities = dict.fromkeys(SCHEDULE_FEATURES, Capability.NATIVE)

    def submit(self, pipeline: Pipeline, params: dict[str, Any]) -> Any:
        from sundial.engine.runner import run_pipeline

        return run_pipeline(pipeline, params, enable_cache=pipeline.options.enable_cache)

    def create_schedule(self, deployment: Deployment) -> str:
        from sundial.scheduler.registration import register_schedule

        info = register_schedule(deployment.pipeline, deployment.params, deployment.schedule)
        if deployment.paused:
            self.pause_schedule(info.name)
        return info.name

    def _schedules(self) -> Any:
        from sundial.client import Client

        return Client().schedules

    def update_schedule(self, ref: str, deployment: Deployment) -> None:
        fields = deployment.schedule.model_dump()
        fields.pop("name", None)
        self._schedules().update(ref, **fields)

    def pause_schedule(self, ref: str) -> None:
        self._schedules().pause(ref)

    def resume_schedule(self, ref: str) -> None:
        self._schedules().resume(ref)

    def delete_schedule(self, ref: str) -> None:
        self._schedules().delete(ref)

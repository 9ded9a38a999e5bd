"""``Client``: the Python entry point to the store (runs, steps, artifacts, schedules)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from sundial.config import Settings
from sundial.errors import NotFoundError
from sundial.store.records import ArtifactRecord, RunRecord, StepRunRecord
from sundial.store.store import Store

if TYPE_CHECKING:
    from sundial.scheduler.api import Schedules


class ArtifactView:
    """One stored output; ``load()`` reads it back as a value."""

    def __init__(self, record: ArtifactRecord) -> None:
        self.record = record

    @property
    def uri(self) -> str:
        return self.record.uri

    def load(self) -> Any:
        from sundial.engine.artifacts import load_artifact

        return load_artifact(self.record)

    def __repr__(self) -> str:
        return f"<Artifact {self.record.uri} ({self.record.data_type})>"


class StepRun:
    """One step of a run, with its outputs."""

    def __init__(self, record: StepRunRecord) -> None:
        self.record = record
        self.outputs = {n: ArtifactView(a) for n, a in record.outputs.items()}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.record, name)

    @property
    def output(self) -> ArtifactView:
        """The step's only output; use ``outputs[name]`` for a step with several."""
        if len(self.outputs) != 1:
            raise NotFoundError(
                f"step '{self.record.name}' has {len(self.outputs)} outputs "
                f"({', '.join(self.outputs) or 'none'}), so `.output` is ambiguous",
                "pick one with .outputs['name']",
            )
        return next(iter(self.outputs.values()))

    def __repr__(self) -> str:
        return f"<StepRun {self.record.name} {self.record.status}>"


class PipelineRun:
    """A pipeline run as recorded in the store."""

    def __init__(self, record: RunRecord, store: Store) -> None:
        self.record = record
        self._store = store
        self.steps = {n: StepRun(s) for n, s in record.steps.items()}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.record, name)

    def refresh(self) -> PipelineRun:
        return PipelineRun(self._store.get_run(self.record.id), self._store)

    def __repr__(self) -> str:
        return f"<PipelineRun {self.record.id} {self.record.pipeline} {self.record.status}>"


class Client:
    """Reads the store named by the environment (``SUNDIAL_DATABASE_URL``/``SUNDIAL_HOME``)."""

    def __init__(self, store: Store | None = None) -> None:
        self._given_store = store

    @functools.cached_property
    def store(self) -> Store:
        return self._given_store or Store.from_settings(Settings.from_env())

    def get_run(self, run_id: str) -> PipelineRun:
        """A run by id (or a unique prefix of its id)."""
        return PipelineRun(self.store.get_run(run_id), self.store)

    def list_runs(self, *, pipeline: str | None = None, status: str | None = None,
                  limit: int = 50) -> list[PipelineRun]:
        """The newest runs first."""
        return [PipelineRun(r, self.store) for r in
                self.store.list_runs(pipeline=pipeline, status=status, limit=limit)]

    def rerun(self, run_id: str, params: dict[str, Any] | None = None) -> PipelineRun:
        """Run a run's pipeline again, on the orchestrator it used, with the same code
        reference and parameters (``params`` override some); returns the new run at once,
        ``starting`` in a worker process of its own (``refresh()`` follows it). ``sundial runs
        rerun`` runs it in its own process instead.

        :raises NotFoundError: no such run.
        :raises ParameterError: an override the pipeline does not take (checked against its
            code, loaded from where the run's version was recorded).
        """
        from sundial.dispatch import rerun

        return rerun(run_id, params, store=self.store)

    @functools.cached_property
    def schedules(self) -> Schedules:
        from sundial.scheduler.api import Schedules

        return Schedules(self.store)

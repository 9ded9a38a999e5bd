"""The local orchestrator: runs on this machine; sundial's own scheduler fires its schedules.

It is an ordinary backend: a run-now reaches :meth:`LocalOrchestrator.submit` through the same
dispatch as every other, and its schedules are sundial-mode schedules (it has no scheduler of
its own), whose runs the scheduler's workers submit here too.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import ClassVar

from sundial.orchestrators.base import (
    SCHEDULE_FEATURES,
    SCHEDULE_OPERATIONS,
    Capability,
    Orchestrator,
    RunRequest,
    RunState,
    RunStatus,
)

_STATUS: dict[str, RunStatus] = {"queued": "queued", "starting": "queued", "running": "running",
                                 "cancelling": "running", "completed": "completed",
                                 "failed": "failed", "cancelled": "cancelled"}
_OWN = ("local schedules live in sundial's scheduler: use `sundial schedule ...` / "
        "Client().schedules, which act on it directly")


def _stopper() -> Callable[[], None] | None:
    """How a run asked to stop (``overlap="replace"``) is interrupted: a scheduler's worker
    turns SIGTERM into cancellation; a process that does not is never signalled."""
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, signal.SIG_IGN, None):
        return None
    return lambda: os.kill(os.getpid(), signal.SIGTERM)


class LocalOrchestrator(Orchestrator):
    name: ClassVar[str] = "local"
    description: ClassVar[str] = "this machine, in-process; sundial's scheduler fires the ticks"
    capabilities = dict.fromkeys(SCHEDULE_FEATURES, Capability.SUNDIAL)
    unsupported_operations = dict.fromkeys(SCHEDULE_OPERATIONS, _OWN)

    def submit(self, run: RunRequest) -> str:
        """Execute the run here, now, to its end; the reference is the run id."""
        from sundial.engine.artifacts import ArtifactStore
        from sundial.engine.loader import load_pipeline_from_source
        from sundial.engine.runner import execute_run

        if run.loaded is not None:
            pipeline, graph = run.loaded
        else:
            _spec, source = self.store.version_source(run.version_id)
            pipeline = load_pipeline_from_source(source)
            graph = pipeline.trace(dict(run.params))
        execute_run(self.store, ArtifactStore(self._artifact_uri()), run.run_id, graph,
                    enable_cache=run.enable_cache, on_cancel=_stopper(), pipeline=pipeline)
        return run.run_id

    def run_status(self, ref: str) -> RunState:
        record = self.store.get_run(ref)
        return RunState(_STATUS.get(record.status, "running"), record.error)

    def _artifact_uri(self) -> str:
        from sundial.config import Settings

        return Settings.from_env().artifact_uri

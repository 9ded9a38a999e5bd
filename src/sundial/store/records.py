"""Plain, immutable values read out of the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Run and step-run statuses.
RUNNING = "running"
COMPLETED = "completed"
FAILED = "failed"
CACHED = "cached"
SKIPPED = "skipped"
QUEUED = "queued"
CANCELLED = "cancelled"
FINISHED_RUN_STATUSES = frozenset({COMPLETED, FAILED, CANCELLED})


@dataclass(frozen=True)
class ArtifactRecord:
    id: int
    uri: str
    materializer: str
    data_type: str
    content_hash: str
    size: int
    created_at: datetime


@dataclass(frozen=True)
class StepRunRecord:
    id: int
    run_id: str
    name: str
    step: str
    position: int
    status: str
    cache_key: str | None
    attempts: int
    started_at: datetime | None
    ended_at: datetime | None
    duration: float | None
    error: str | None
    traceback: str | None
    logs: str | None
    outputs: dict[str, ArtifactRecord] = field(default_factory=dict)
    inputs: dict[str, ArtifactRecord] = field(default_factory=dict)


@dataclass(frozen=True)
class RunRecord:
    id: str
    pipeline: str
    version_hash: str
    status: str
    params: dict[str, Any]
    orchestrator: str
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    error: str | None
    steps: dict[str, StepRunRecord] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The JSON shape of ``sundial runs list --json``."""
        return {
            "id": self.id,
            "pipeline": self.pipeline,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "params": self.params,
            "error": self.error,
            "steps": [{"name": s.name, "status": s.status} for s in self.steps.values()],
        }

"""Plain, immutable values read out of the store (:class:`~sundial.frozen.Frozen`: a dataclass's
equality, ``repr``, hash and immutability without its cost at import).

A registered schedule's record is :class:`sundial.store.schedule_record.ScheduleRecord`, apart
from these: a local run and ``sundial step run`` never build it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sundial.frozen import Frozen

# Run and step-run statuses.
RUNNING = "running"
COMPLETED = "completed"
FAILED = "failed"
CACHED = "cached"
SKIPPED = "skipped"
QUEUED = "queued"
CANCELLED = "cancelled"
FINISHED_RUN_STATUSES = frozenset({COMPLETED, FAILED, CANCELLED})
# What made a run (besides a schedule's ticks: live, catchup, backfill, manual): a re-run of
# another run (`sundial runs rerun`, the API and the dashboard).
RERUN = "rerun"


class ArtifactRecord(Frozen):
    id: int
    uri: str
    materializer: str
    data_type: str
    content_hash: str
    size: int
    created_at: datetime

    def __init__(self, id: int, uri: str, materializer: str, data_type: str, content_hash: str,
                 size: int, created_at: datetime) -> None:
        self.__dict__.update(id=id, uri=uri, materializer=materializer, data_type=data_type,
                             content_hash=content_hash, size=size, created_at=created_at)


class StepRunRecord(Frozen):
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
    outputs: dict[str, ArtifactRecord]
    inputs: dict[str, ArtifactRecord]

    def __init__(self, id: int, run_id: str, name: str, step: str, position: int, status: str,
                 cache_key: str | None, attempts: int, started_at: datetime | None,
                 ended_at: datetime | None, duration: float | None, error: str | None,
                 traceback: str | None, logs: str | None,
                 outputs: dict[str, ArtifactRecord] | None = None,
                 inputs: dict[str, ArtifactRecord] | None = None) -> None:
        self.__dict__.update(
            id=id, run_id=run_id, name=name, step=step, position=position, status=status,
            cache_key=cache_key, attempts=attempts, started_at=started_at, ended_at=ended_at,
            duration=duration, error=error, traceback=traceback, logs=logs,
            outputs={} if outputs is None else outputs, inputs={} if inputs is None else inputs)


class RunRecord(Frozen):
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
    steps: dict[str, StepRunRecord]
    schedule_id: str | None
    nominal_at: datetime | None
    trigger: str | None
    version_id: int | None
    enable_cache: bool | None
    #: The platform's reference to the run (``airflow:DAG_ID:RUN_ID`` ...), when it ran there.
    external_id: str | None

    def __init__(self, id: str, pipeline: str, version_hash: str, status: str,
                 params: dict[str, Any], orchestrator: str, created_at: datetime,
                 started_at: datetime | None, ended_at: datetime | None, error: str | None,
                 steps: dict[str, StepRunRecord] | None = None, schedule_id: str | None = None,
                 nominal_at: datetime | None = None, trigger: str | None = None,
                 version_id: int | None = None, enable_cache: bool | None = None,
                 external_id: str | None = None) -> None:
        self.__dict__.update(
            id=id, pipeline=pipeline, version_hash=version_hash, status=status, params=params,
            orchestrator=orchestrator, created_at=created_at, started_at=started_at,
            ended_at=ended_at, error=error, steps={} if steps is None else steps,
            schedule_id=schedule_id, nominal_at=nominal_at, trigger=trigger,
            version_id=version_id, enable_cache=enable_cache, external_id=external_id)

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
            "schedule_id": self.schedule_id,
            "nominal_at": self.nominal_at.isoformat() if self.nominal_at else None,
            "trigger": self.trigger,
            "orchestrator": self.orchestrator,
            "external_id": self.external_id,
            "steps": [{"name": s.name, "status": s.status} for s in self.steps.values()],
        }

    def duration(self, now: datetime) -> float | None:
        """Seconds from start to end (to ``now`` while it runs); None before it starts."""
        if self.started_at is None:
            return None
        return ((self.ended_at or now) - self.started_at).total_seconds()

    def listed(self, schedule_name: str | None, now: datetime) -> dict[str, Any]:
        """One entry of ``sundial runs list --json`` (and ``GET /api/v1/runs``): the summary,
        the schedule's name and the duration."""
        return {**self.summary(), "schedule": schedule_name, "duration": self.duration(now)}

    def shown(self, now: datetime) -> dict[str, Any]:
        """``sundial runs show --json`` (and the core of ``GET /api/v1/runs/ID``): the
        detail and the duration."""
        return {**self.detail(), "duration": self.duration(now)}

    def detail(self) -> dict[str, Any]:
        """The JSON shape of ``sundial runs show --json``: the summary with every step, its
        attempts, timing, error and outputs (artifact metadata, not contents)."""
        data = self.summary()
        data["steps"] = [
            {"name": s.name, "step": s.step, "status": s.status, "attempts": s.attempts,
             "started_at": s.started_at.isoformat() if s.started_at else None,
             "ended_at": s.ended_at.isoformat() if s.ended_at else None,
             "duration": s.duration, "error": s.error, "cache_key": s.cache_key,
             "outputs": {n: {"uri": a.uri, "materializer": a.materializer,
                             "data_type": a.data_type, "content_hash": a.content_hash,
                             "size": a.size}
                         for n, a in s.outputs.items()}}
            for s in self.steps.values()]
        return data


# Schedule states.
ACTIVE = "active"
PAUSED = "paused"
DELETED = "deleted"
# Runs that hold a slot of a schedule's max_active_runs.
STARTING = "starting"
CANCELLING = "cancelling"
ACTIVE_RUN_STATUSES = frozenset({QUEUED, STARTING, RUNNING, CANCELLING})
# Every status a run can have, in its order of life (for filters: `runs list --status`, the API).
RUN_STATUSES = (QUEUED, STARTING, RUNNING, CANCELLING, COMPLETED, FAILED, CANCELLED)

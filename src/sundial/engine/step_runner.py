"""One step of a run, on its own: what ``sundial step run`` does inside a remote task.

Every remote backend executes steps through this, one process per step: the step's inputs come
from the store and the artifact store, its outputs, status and logs go back exactly as in a
local run, and the run is finished when its last step ends. A run executed step by step is
indistinguishable in the store from a local run.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sundial.definition.graph import PipelineGraph
from sundial.engine.artifacts import ArtifactStore
from sundial.engine.loader import load_pipeline_from_source
from sundial.engine.runner import Heartbeat, Produced, json_params, run_invocation
from sundial.errors import NotFoundError, SundialError
from sundial.store.records import CACHED, COMPLETED, FAILED, QUEUED, RUNNING, StepRunRecord
from sundial.store.store import Store, utcnow

DONE = (COMPLETED, CACHED)


def ensure_run(store: Store, *, version_id: int, external_id: str, params: dict[str, Any],
               orchestrator: str, nominal_at: datetime | None = None,
               enable_cache: bool | None = None, schedule_id: str | None = None) -> str:
    """The run for ``external_id``, created on first use (idempotent across tasks)."""
    found = store.run_for_external_id(external_id)
    if found is not None:
        return found
    pipeline_id = store.pipeline_of_version(version_id)
    if pipeline_id is None:
        raise NotFoundError(f"no pipeline version {version_id} in the store at "
                            f"{store.safe_url}",
                            "deploy the pipeline again against this store, or point "
                            "SUNDIAL_DATABASE_URL at the store it was deployed to")
    new_id = str(uuid.uuid4())
    run_id = store.create_external_run(
        run_id=new_id, external_id=external_id, pipeline_id=int(pipeline_id),
        version_id=version_id, params=json_params(params), status=QUEUED,
        orchestrator=orchestrator, enable_cache=enable_cache, nominal_at=nominal_at,
        schedule_id=schedule_id, trigger="native" if schedule_id else "external")
    if run_id != new_id:  # another task of the same platform run created it first
        return run_id
    if schedule_id is not None and nominal_at is not None:
        from sundial.store.schedule_store import ScheduleStore

        ScheduleStore(store).record_native_tick(schedule_id, nominal_at, run_id, utcnow())
    return run_id


def _graph(store: Store, run_id: str) -> tuple[PipelineGraph, bool | None]:
    version_id, params, run_cache = store.run_definition(run_id)
    _spec, source = store.version_source(version_id)
    pipeline = load_pipeline_from_source(source)
    # The run's own setting, else the pipeline's (@pipeline(enable_cache=...)).
    cache = pipeline.options.enable_cache if run_cache is None else run_cache
    return pipeline.trace(params), cache


def run_step(store: Store, artifacts: ArtifactStore, run_id: str, step_name: str) -> str:
    """Run one step of ``run_id``; returns its status (``completed``, ``cached``, ``failed``).

    Re-running a step that failed replaces its record (an orchestrator's retry); re-running one
    that completed does nothing.
    """
    with store.pinned():  # one connection for the step's transactions
        return _run_step(store, artifacts, run_id, step_name)


def _run_step(store: Store, artifacts: ArtifactStore, run_id: str, step_name: str) -> str:
    run_id = store.resolve_run_id(run_id)
    graph, enable_cache = _graph(store, run_id)
    names = list(graph.invocations)
    if step_name not in graph.invocations:
        raise NotFoundError(f"run {run_id} has no step '{step_name}'",
                            f"its steps are: {', '.join(names)}")
    inv = graph.invocations[step_name]
    record = store.get_run(run_id)
    existing = record.steps.get(step_name)
    if existing is not None and existing.status in DONE:
        return existing.status
    produced: dict[str, Produced] = {}
    for up in inv.upstream_ids:
        prior = record.steps.get(up)
        if prior is None or prior.status not in DONE:
            raise SundialError(
                f"step '{step_name}' of run {run_id} needs step '{up}', which is "
                f"{prior.status if prior else 'not run yet'}",
                f"run `sundial step run --run-id {run_id} {up}` first")
        produced[up] = Produced.from_records(prior.outputs)
    if existing is not None:  # a retry of a failed or interrupted attempt
        store.delete_step_run(existing.id)
    if record.status in (QUEUED, FAILED):
        store.update_run(run_id, status=RUNNING, started_at=record.started_at or utcnow(),
                         heartbeat_at=utcnow(), ended_at=None, error=None)
    beat = Heartbeat(store, run_id)
    beat.start()
    try:
        result = run_invocation(store, artifacts, run_id, inv, names.index(step_name), produced,
                                enable_cache)
    finally:
        beat.stop()
    steps = _finish_if_done(store, run_id, names)
    if result is None:
        _skip_downstream(store, run_id, graph, step_name, steps)
        return FAILED
    return str(steps[step_name].status)


def _skip_downstream(store: Store, run_id: str, graph: PipelineGraph, failed: str,
                     steps: dict[str, StepRunRecord]) -> None:
    """Record the steps below a failed one ``skipped``: the platform will not start them (an
    Airflow task is ``upstream_failed``), and the run's record must still name every step.
    A platform's retry of the failed step replaces these records as it runs them."""
    below: set[str] = set()
    for name, inv in graph.invocations.items():  # invocations are in topological order
        if failed in inv.upstream_ids or below & set(inv.upstream_ids):
            below.add(name)
    names = list(graph.invocations)
    for name in below - set(steps):
        store.record_skipped(run_id=run_id, name=name, step=graph.invocations[name].step.name,
                             position=names.index(name),
                             reason=f"upstream step '{failed}' did not complete")


def _finish_if_done(store: Store, run_id: str, names: list[str]) -> dict[str, StepRunRecord]:
    """End the run when this was its last step (or one failed); returns its steps."""
    steps = store.get_run(run_id).steps
    if any(s.status == FAILED for s in steps.values()):
        store.update_run(run_id, status=FAILED, ended_at=utcnow(), error="a step failed")
    elif all(n in steps and steps[n].status in DONE for n in names):
        store.update_run(run_id, status=COMPLETED, ended_at=utcnow(), error=None)
    return steps

"""Registering a schedule: ``pipeline.with_options(schedule=S)()`` and ``pipeline.run(schedule=S)``.

Registration records the schedule (it does not run the pipeline now) and wakes any scheduler of
the same store on this machine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sundial.config import Settings
from sundial.scheduler.plan import first_fire_at
from sundial.store.schedule_store import ScheduleStore
from sundial.store.store import Store, utcnow

if TYPE_CHECKING:
    from sundial.definition.pipeline import Pipeline
    from sundial.definition.schedule import Schedule
    from sundial.scheduler.api import ScheduleInfo


def register_schedule(pipeline: Pipeline, params: dict[str, Any], schedule: Schedule, *,
                      orchestrator: str = "local", store: Store | None = None) -> ScheduleInfo:
    """Record ``schedule`` for ``pipeline`` with these parameters; returns the record.

    The name is ``schedule.name`` or ``<pipeline>-<YYYY_MM_DD-HH_MM_SS_ffffff>`` (UTC); a
    given name that exists already raises AlreadyExistsError rather than overwriting it.
    """
    from sundial.engine.runner import json_params, record_version
    from sundial.scheduler.api import Schedules
    from sundial.scheduler.wake import notify_schedulers

    store = store or Store.from_settings(Settings.from_env())
    backend = None
    if orchestrator != "local":
        from sundial.orchestrators.registry import get_orchestrator

        backend = get_orchestrator(orchestrator)
        backend.check_schedule(schedule)  # refuse before anything is recorded
    # Tracing now refuses a broken pipeline at registration, not at its first tick.
    _graph, pipeline_id, version_id = record_version(store, pipeline, params)
    now = utcnow()
    name = schedule.name or f"{pipeline.name}-{now:%Y_%m_%d-%H_%M_%S_%f}"
    rows = ScheduleStore(store)
    rows.get_free_name(name)
    native_ref = None
    if backend is not None:
        from sundial.orchestrators.base import Deployment

        native_ref = backend.create_schedule(Deployment(
            pipeline=pipeline, params=params, schedule=schedule.replace(name=name),
            version_id=version_id))
    rows.insert(
        name=name, pipeline_id=pipeline_id, version_id=version_id,
        params=json_params(params), enable_cache=pipeline.options.enable_cache,
        orchestrator=orchestrator, definition=schedule.to_json(),
        next_fire_at=first_fire_at(schedule, now), now=now, native_ref=native_ref)
    notify_schedulers(store.url)
    return Schedules(store).get(name)

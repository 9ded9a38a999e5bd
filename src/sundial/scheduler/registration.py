"""Registering a schedule: ``pipeline.with_options(schedule=S)()`` and ``pipeline.run(schedule=S)``.

Registration records the schedule (it does not run the pipeline now) and wakes any scheduler of
the same store on this machine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sundial.config import Settings
from sundial.errors import OrchestratorError
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
    from sundial.engine.runner import _json_params
    from sundial.scheduler.api import Schedules
    from sundial.scheduler.wake import notify_schedulers

    if orchestrator != "local":
        raise OrchestratorError(
            f"orchestrator '{orchestrator}' cannot take schedules in this version of sundial",
            "register the schedule on the local orchestrator (the default)")
    store = store or Store(Settings.from_env().database_url)
    graph = pipeline.trace(params)  # refuse a broken pipeline now, not at its first tick
    pipeline_id, version_id = store.pipeline_version(
        pipeline.name, graph.version_hash(), graph.spec(), pipeline.source)
    now = utcnow()
    name = schedule.name or f"{pipeline.name}-{now:%Y_%m_%d-%H_%M_%S_%f}"
    ScheduleStore(store).insert(
        name=name, pipeline_id=pipeline_id, version_id=version_id,
        params=_json_params(params), enable_cache=pipeline.options.enable_cache,
        orchestrator=orchestrator, definition=schedule.to_json(),
        next_fire_at=first_fire_at(schedule, now), now=now)
    notify_schedulers(store.url)
    return Schedules(store).get(name)

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
    info = Schedules(store).get(name)
    _say_registered(store, info, native_ref)
    return info


def _say_registered(store: Store, info: ScheduleInfo, native_ref: str | None) -> None:
    """Registering prints what was made and what must run to fire it (on stderr, so a
    script's stdout stays its own)."""
    import sys

    from sundial.scheduler.watch import alive_replicas

    rec = info.record
    nxt = f"; next fire {rec.next_fire_at.isoformat()}" if rec.next_fire_at else \
        "; it has no fire time left"
    if native_ref is not None:
        print(f"sundial: registered schedule '{rec.name}' of pipeline {rec.pipeline} on "
              f"{rec.orchestrator} ({native_ref}){nxt}; {rec.orchestrator} fires it.",
              file=sys.stderr)
        return
    alive = alive_replicas(store, utcnow())
    print(f"sundial: registered schedule '{rec.name}' of pipeline {rec.pipeline}{nxt}. "
          "It fires only while a scheduler runs: "
          + (f"{len(alive)} is alive for this store." if alive else
             "none is alive for this store; start one with `sundial scheduler` (or "
             "`sundial up`)."), file=sys.stderr)

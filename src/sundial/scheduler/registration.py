"""Recording a registered schedule in the store, and waking the schedulers that fire it.

``sundial.dispatch.register`` decides the mode and talks to the platform; this is the store
half: one insert, with the first fire time of a sundial-mode schedule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sundial.scheduler.plan import first_fire_at
from sundial.scheduler.wake import notify_schedulers
from sundial.store.bulk import new_ids
from sundial.store.records import ACTIVE, PAUSED
from sundial.store.schedule_store import ScheduleStore
from sundial.store.store import Store, utcnow

if TYPE_CHECKING:
    from sundial.definition.schedule import Schedule
    from sundial.scheduler.api import ScheduleInfo


def record_schedule(store: Store, *, schedule_id: str, name: str, pipeline_id: int,
                    version_id: int, params: dict[str, Any], enable_cache: bool | None,
                    orchestrator: str, schedule: Schedule, native_ref: str | None,
                    deployment: Mapping[str, Any], now: datetime,
                    paused: bool = False) -> ScheduleInfo:
    """Insert the schedule (a taken name raises AlreadyExistsError); returns its record."""
    from sundial.scheduler.api import Schedules

    rows = ScheduleStore(store)
    rows.insert(
        schedule_id=schedule_id, name=name, pipeline_id=pipeline_id, version_id=version_id,
        params=params, enable_cache=enable_cache, orchestrator=orchestrator,
        definition=schedule.to_json(),
        next_fire_at=first_fire_at(schedule, now), now=now, native_ref=native_ref,
        deployment=dict(deployment))
    if paused:
        rows.set(schedule_id, state=PAUSED, paused_at=now, updated_at=now)
    notify_schedulers(store.url)
    info = Schedules(store).get(name)
    _say_registered(store, info, native_ref)
    return info


def record_schedules(store: Store, *, pipeline_name: str, pipeline_id: int, version_id: int,
                     params: dict[str, Any], enable_cache: bool | None, orchestrator: str,
                     schedules: Sequence[Schedule], paused: bool = False) -> list[ScheduleInfo]:
    """Insert sundial-mode schedules in one transaction (all or none); returns their records.

    Unnamed schedules get ``<pipeline>-<UTC timestamp>`` names, one microsecond apart.
    """
    from sundial.scheduler.api import Schedules
    from sundial.store.schedule_bulk import insert_schedules

    now = utcnow()
    state = PAUSED if paused else ACTIVE
    deployment = {"mode": "sundial", "defaulted": [], "default_here": {}, "options": {}}
    ids = new_ids(len(schedules))
    rows = []
    for i, (schedule_id, schedule) in enumerate(zip(ids, schedules, strict=True)):
        name = schedule.name or \
            f"{pipeline_name}-{now + timedelta(microseconds=i):%Y_%m_%d-%H_%M_%S_%f}"
        rows.append(dict(
            id=schedule_id, name=name, pipeline_id=pipeline_id, version_id=version_id,
            params=params, enable_cache=None if enable_cache is None else int(enable_cache),
            orchestrator=orchestrator, native_ref=None, definition=schedule.to_json(),
            deployment=deployment, state=state, created_at=now, updated_at=now,
            paused_at=now if paused else None, next_fire_at=first_fire_at(schedule, now),
            fired_count=0))
    insert_schedules(store, rows)
    notify_schedulers(store.url)
    import sys

    print(f"sundial: registered {len(rows)} schedules of pipeline {pipeline_name}"
          f"{' (paused)' if paused else ''}; they fire while a scheduler runs "
          "(`sundial scheduler`).", file=sys.stderr)
    return Schedules(store).get_many(ids)


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
        # Nothing is silent: each field left at its default that the platform does its own
        # way is said here (and kept for describe).
        for field, text in rec.default_here.items():
            print(f"sundial:   {field}: {text}", file=sys.stderr)
        return
    alive = alive_replicas(store, utcnow())
    where = "" if rec.orchestrator == "local" else \
        f" (sundial mode: each run is submitted to {rec.orchestrator})"
    print(f"sundial: registered schedule '{rec.name}' of pipeline {rec.pipeline}{nxt}{where}. "
          "It fires only while a scheduler runs: "
          + (f"{len(alive)} is alive for this store." if alive else
             "none is alive for this store; start one with `sundial scheduler` (or "
             "`sundial up`)."), file=sys.stderr)

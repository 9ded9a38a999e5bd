"""``Client().schedules``: list, get, describe, pause, resume, update, delete, trigger, backfill.

Every change goes through the store in one transaction and wakes the schedulers of that store;
manual and back-filled runs take the same exactly-once path as scheduled ticks (a tick row and a
run with a unique (schedule, nominal time)).
"""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sundial.definition.schedule import Schedule
from sundial.errors import InvalidScheduleError, NotFoundError, OrchestratorError
from sundial.orchestrators.base import Orchestrator, RunRequest
from sundial.scheduler.clock import Clock, SystemClock
from sundial.scheduler.plan import first_fire_at
from sundial.scheduler.wake import notify_schedulers
from sundial.store.records import ACTIVE, DELETED, PAUSED
from sundial.store.schedule_record import ScheduleRecord
from sundial.store.schedule_store import ScheduleStore
from sundial.store.store import Store
from sundial.store.tick_records import NewTick
from sundial.timing import fire_times, next_fire_time

COMPLETED_STATE = "completed"
BACKFILL_CHUNK = 1000


@dataclass(frozen=True)
class ScheduleInfo:
    """A registered schedule: its record and its parsed definition."""

    record: ScheduleRecord
    schedule: Schedule

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def state(self) -> str:
        return self.record.state

    @property
    def next_fire_at(self) -> datetime | None:
        return self.record.next_fire_at

    def summary(self) -> dict[str, Any]:
        return {**self.record.summary(), "kind": self.schedule.kind,
                "timezone": self.schedule.timezone}


@dataclass(frozen=True)
class BackfillResult:
    ticks: int
    created: int  # with dry_run: how many would be
    nominals: tuple[datetime, ...] | list[datetime] = ()  # dry_run: the ticks it would queue

    @property
    def existing(self) -> int:
        return self.ticks - self.created

    def to_json(self, name: str, *, dry_run: bool = False) -> dict[str, Any]:
        """What ``sundial schedule backfill --json`` prints (and the REST API answers)."""
        data: dict[str, Any] = {"name": name, "ticks": self.ticks, "created": self.created,
                                "existing": self.existing}
        if dry_run:
            data.update(dry_run=True, nominals=[n.isoformat() for n in self.nominals])
        return data


class Schedules:
    """The lifecycle of registered schedules."""

    def __init__(self, store: Store, clock: Clock | None = None) -> None:
        self.store = store
        self._rows = ScheduleStore(store)
        self._clock: Clock = clock or SystemClock()

    def _info(self, rec: ScheduleRecord) -> ScheduleInfo:
        return ScheduleInfo(rec, Schedule.from_json(rec.definition))

    def _changed(self) -> None:
        notify_schedulers(self.store.url)

    def _native(self, info: ScheduleInfo) -> Orchestrator | None:
        """The backend a native schedule lives on (None for sundial-mode schedules)."""
        if info.record.native_ref is None:
            return None
        from sundial.orchestrators.registry import get_orchestrator

        options = (info.record.deployment or {}).get("options") or {}
        return get_orchestrator(info.record.orchestrator, self.store, options)

    def _request(self, rec: ScheduleRecord, run_id: str, nominal: datetime,
                 trigger: str) -> RunRequest:
        return RunRequest(run_id=run_id, pipeline=rec.pipeline, version_id=rec.version_id,
                          params=rec.params, enable_cache=rec.enable_cache,
                          schedule_id=rec.id, schedule_name=rec.name, nominal_at=nominal,
                          trigger=trigger)

    def _submit_native(self, backend: Orchestrator, rec: ScheduleRecord,
                       runs: builtins.list[RunRequest], how: str) -> None:
        """Hand runs recorded for a native schedule to its platform; a run the platform
        refused is failed with the platform's reason, so store and platform agree."""
        if not runs:
            return
        ref = str(rec.native_ref)
        try:
            refs = (backend.backfill_schedule(ref, runs) if how == "backfill"
                    else [backend.trigger_schedule(ref, runs[0])])
        except OrchestratorError as err:
            for run in runs:
                self._rows.fail_run_if_queued(run.run_id, self._clock.now(),
                                              f"not started on {rec.orchestrator}: "
                                              f"{err.headline}")
            raise
        for run, platform_ref in zip(runs, refs, strict=False):
            self.store.update_run(run.run_id, external_id=platform_ref)

    def list(self, *, pipeline: str | None = None,
             include_deleted: bool = False) -> builtins.list[ScheduleInfo]:
        return [self._info(r) for r in
                self._rows.find(pipeline=pipeline, include_deleted=include_deleted)]

    def get(self, name: str) -> ScheduleInfo:
        """The schedule called ``name`` (or with that id), a deleted one included: its history
        stays until ``delete(hard=True)``.

        :raises NotFoundError: no schedule has that name or id.
        """
        return self._info(self._rows.get(name, include_deleted=True))

    def get_many(self, ids: builtins.list[str]) -> builtins.list[ScheduleInfo]:
        """The schedules with these ids, in that order (one query per few thousand)."""
        return [self._info(r) for r in self._rows.get_many(ids)]

    def _changeable(self, name: str, what: str) -> ScheduleInfo:
        """``get(name)``, refusing a deleted schedule with a fix that works."""
        info = self.get(name)
        if info.state == DELETED:
            raise NotFoundError(
                f"schedule '{info.name}' was deleted "
                f"({info.record.updated_at.isoformat(timespec='seconds')}); "
                f"a deleted schedule cannot be {what}",
                f"register a new schedule named '{info.name}' (the name is free again); the "
                f"deleted one's history stays in `sundial schedule describe {info.name}`")
        return info

    def describe(self, name: str, *, runs: int = 10, fire_times_n: int = 10) -> dict[str, Any]:
        """Definition, state, the last runs, the next fire times and tick counters (of a
        deleted schedule too)."""
        info = self.get(name)
        rec = info.record
        upcoming: builtins.list[datetime] = []
        if rec.state in (ACTIVE, PAUSED) and rec.next_fire_at is not None:
            after = rec.next_fire_at - timedelta(microseconds=1)
            upcoming = list(fire_times(info.schedule, after, limit=fire_times_n))
        counts = self._rows.tick_counts(rec.id)
        skipped = {k.split(":", 1)[1]: v for k, v in counts.items() if k.startswith("skipped:")}
        ran = {k.split(":", 1)[1]: v for k, v in counts.items() if k.startswith("run:")}
        return {
            **info.summary(),
            "definition": info.schedule.model_dump(mode="json"),
            "last_runs": [{"id": r.id, "nominal_at": r.nominal_at.isoformat()
                           if r.nominal_at else None, "trigger": r.trigger,
                           "status": r.status, "error": r.error}
                          for r in self._rows.runs_of(rec.id, limit=runs)],
            "next_fire_times": [t.astimezone(info.schedule.zone).isoformat() for t in upcoming],
            "runs_by_trigger": ran,
            "skipped_by_reason": skipped,
            "platform": self._platform_view(info),
        }

    def _platform_view(self, info: ScheduleInfo) -> dict[str, Any] | None:
        """The platform's own view of a native schedule; its error when it cannot be read
        (describe still shows sundial's side)."""
        backend = self._native(info) if info.state != DELETED else None
        if backend is None:
            return None
        if "describe" in backend.unsupported_operations:
            return {"error": backend.unsupported_operations["describe"]}
        try:
            seen = backend.describe_schedule(str(info.record.native_ref))
        except OrchestratorError as err:
            return {"error": err.headline}
        return {"ref": seen.ref, "exists": seen.exists, "paused": seen.paused,
                "next_run_at": seen.next_run_at.isoformat() if seen.next_run_at else None,
                **dict(seen.details)}

    def pause(self, name: str, note: str | None = None) -> ScheduleInfo:
        info = self._changeable(name, "paused")
        if info.state == ACTIVE:
            if (backend := self._native(info)) is not None:
                backend.pause_schedule(str(info.record.native_ref))
            self._rows.set(info.id, state=PAUSED, pause_note=note, paused_at=self._clock.now(),
                           resumed_at=None, updated_at=self._clock.now())
            self._changed()
        return self.get(name)

    def resume(self, name: str) -> ScheduleInfo:
        """Resume; ticks missed while paused follow ``catchup`` (skips say ``paused``)."""
        info = self._changeable(name, "resumed")
        if info.state == PAUSED:
            if (backend := self._native(info)) is not None:
                backend.resume_schedule(str(info.record.native_ref))
            self._rows.set(info.id, state=ACTIVE, pause_note=None, resumed_at=self._clock.now(),
                           updated_at=self._clock.now())
            self._changed()
        return self.get(name)

    def update(self, name: str, **fields: Any) -> ScheduleInfo:
        """Change fields of the definition. A change of timing never re-runs a tick already
        handled (the high-water mark stays) nor drops one (later ticks follow ``catchup``)."""
        info = self._changeable(name, "updated")
        new_params = fields.pop("params", None)
        new_name = fields.pop("name", None)
        new = info.schedule.replace(**fields) if fields else info.schedule
        rec = info.record
        if rec.last_nominal_at is None:
            next_at = first_fire_at(new, rec.created_at)
        else:
            next_at = next_fire_time(new, rec.last_nominal_at)
        if (backend := self._native(info)) is not None:
            from sundial.orchestrators.native import Deployment

            deployed = rec.deployment or {}
            # The fields named now are set by the user; the others keep what they were.
            defaulted = frozenset(deployed.get("defaulted") or ()) - set(fields)
            default_here = backend.check_schedule(new, defaulted)
            spec, _source = self.store.version_source(rec.version_id)
            backend.update_schedule(str(rec.native_ref), Deployment(
                name=rec.name, schedule_id=rec.id, pipeline=rec.pipeline,
                version_id=rec.version_id, spec=spec,
                params=self._bind(info, new_params) if new_params else rec.params,
                schedule=new, enable_cache=rec.enable_cache, paused=rec.state == PAUSED,
                defaulted=defaulted, options=deployed.get("options") or {}))
            deployment = {**deployed, "defaulted": sorted(defaulted),
                          "default_here": default_here}
        state = rec.state
        if state == COMPLETED_STATE and next_at is not None:
            state = ACTIVE  # e.g. end_time moved later: the schedule has ticks again
        values: dict[str, Any] = dict(definition=new.to_json(), next_fire_at=next_at,
                                      state=state, updated_at=self._clock.now())
        if backend is not None:
            values["deployment"] = deployment
        if new_params:  # later runs only: runs already made keep theirs
            values["params"] = self._bind(info, new_params)
        if new_name and new_name != rec.name:
            self._rows.get_free_name(new_name)  # a deleted holder keeps its history renamed
            values["name"] = new_name
        self._rows.set(rec.id, **values)
        self._changed()
        return self.get(values.get("name", rec.name))

    def queued_runs(self, name: str) -> int:
        """How many queued runs deleting the schedule would cancel."""
        from sundial.store.run_control import count_not_started

        return count_not_started(self.store, self.get(name).id)

    def delete(self, name: str, *, hard: bool = False) -> int:
        """Soft delete keeps the history (ticks and runs); ``hard=True`` removes the schedule
        and its ticks (its runs stay, detached, as pipeline history). Returns how many queued
        runs were cancelled."""
        info = self.get(name)
        if (backend := self._native(info)) is not None and info.state != DELETED:
            backend.delete_schedule(str(info.record.native_ref))
        # Runs that have not started die with their schedule; running ones finish.
        cancelled = self._rows.cancel_queued(info.id, self._clock.now(),
                                             "cancelled: schedule deleted")
        if hard:
            self._rows.hard_delete(info.id)
        else:
            self._rows.set(info.id, state=DELETED, next_fire_at=None, updated_at=self._clock.now())
        self._changed()
        return cancelled

    def _bind(self, info: ScheduleInfo, overrides: dict[str, Any]) -> dict[str, Any]:
        """The schedule's parameters with ``overrides``, checked against the pipeline's
        signature (its code is loaded from where it was registered)."""
        from sundial.engine.loader import load_pipeline_from_source
        from sundial.engine.runner import json_params

        _spec, source = self.store.version_source(info.record.version_id)
        pipeline = load_pipeline_from_source(source)
        return json_params(pipeline.bind_params((), {**info.record.params, **overrides}))

    def trigger(self, name: str, params: dict[str, Any] | None = None) -> str:
        """Queue a manual run now (within max_active_runs); returns its run id. ``params``
        override the schedule's parameters for this run only (Airflow's ``--conf``)."""
        info = self._changeable(name, "triggered")
        bound = self._bind(info, params) if params else None
        now = nominal = self._clock.now()
        with self.store.write() as conn:
            rec = self._rows.get(info.id, conn=conn)
            if bound is not None:
                rec = dataclasses.replace(rec, params=bound)
            # A manual run is a tick of its own; should its instant be taken (by a scheduled
            # tick at that very microsecond), it moves on by a microsecond.
            while not self._rows.record_ticks(conn, rec, [NewTick(nominal, True, "manual",
                                                                  now)], now):
                nominal += timedelta(microseconds=1)
            run_id = self._rows.run_of_tick(conn, rec.id, nominal)
        if (backend := self._native(info)) is not None:
            # On a native schedule the run starts on the platform, recorded like any other.
            self._submit_native(backend, rec, [self._request(rec, run_id, nominal, "manual")],
                                "trigger")
        self._changed()
        return run_id

    def backfill(self, name: str, start: datetime, end: datetime,
                 progress: Callable[[int, int], None] | None = None,
                 dry_run: bool = False, up_to_now: bool = False) -> BackfillResult:
        """Queue a run for every tick of the schedule in [start, end], exactly once: ticks
        that already have a run are left as they are. ``dry_run`` records nothing and
        reports what would be queued (``nominals``). ``up_to_now`` ends the range at now
        when ``end`` lies ahead (a bare end date, "that whole day", said of today), instead
        of refusing a future end."""
        info = self._changeable(name, "back-filled")
        backend = self._native(info)
        if backend is not None and "backfill" in backend.unsupported_operations:
            raise backend._unsupported("backfill")
        start, end = _aware(start, info.schedule), _aware(end, info.schedule)
        if end < start:
            raise InvalidScheduleError(f"backfill end {end.isoformat()} is before its start "
                                       f"{start.isoformat()}", "swap the two instants")
        if up_to_now and start <= self._clock.now():  # a day still ahead stays refused
            end = min(end, self._clock.now())
        if end > self._clock.now():
            raise InvalidScheduleError(
                f"backfill end {end.isoformat()} is in the future",
                "back-fill only past ticks; the scheduler fires future ones")
        nominals = list(fire_times(info.schedule, start - timedelta(microseconds=1), until=end))
        if dry_run:
            from sundial.store.run_control import run_nominals

            taken = set(run_nominals(self.store, info.id, nominals[0], nominals[-1])) \
                if nominals else set()
            fresh = [n for n in nominals if n not in taken]
            return BackfillResult(ticks=len(nominals), created=len(fresh), nominals=fresh)
        created = 0
        for i in range(0, len(nominals), BACKFILL_CHUNK):
            chunk = nominals[i:i + BACKFILL_CHUNK]
            now = self._clock.now()
            with self.store.write() as conn:
                rec = self._rows.get(info.id, conn=conn)
                created += self._rows.record_ticks(
                    conn, rec, [NewTick(n, True, "backfill", n) for n in chunk], now)
                # A tick skipped earlier (catch-up off, paused, overlap) now has a run.
                self._rows.promote_skipped(conn, rec.id, chunk, "backfill", now)
                todo = self._rows.unsubmitted_runs(conn, rec.id, chunk) \
                    if backend is not None else []
            if backend is not None:  # a native schedule's runs start on its platform
                self._submit_native(backend, rec, [
                    self._request(rec, run_id, nominal, "backfill") for run_id, nominal in todo
                ], "backfill")
            if progress is not None:
                progress(min(i + BACKFILL_CHUNK, len(nominals)), len(nominals))
        self._changed()
        return BackfillResult(ticks=len(nominals), created=created)


def _aware(value: datetime, schedule: Schedule) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=schedule.zone)
    return value.astimezone(UTC)


def is_bare_date(text: str) -> bool:
    """``text`` is a date without a time (``2026-11-12``): as a back-fill's end, that whole
    day so far."""
    try:
        date.fromisoformat(text.strip())
    except ValueError:
        return False
    return True


def backfill_bound(what: str, text: str, *, end_of_day: bool) -> datetime:
    """An ISO instant; a bare date is its first microsecond, or with ``end_of_day`` its last
    (Airflow users read `2026-11-12 2026-11-12` as that day)."""
    raw = text.strip()
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        day = None
    if day is not None:
        if end_of_day:
            return datetime.combine(day + timedelta(days=1), time()) - timedelta(microseconds=1)
        return datetime.combine(day, time())
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidScheduleError(
            f"{what} {text!r} is not an ISO-8601 date or date and time",
            f"write {what} like 2026-11-12 or 2026-11-12T14:05:00+01:00 (a bare date as the "
            "end covers that whole day)") from None

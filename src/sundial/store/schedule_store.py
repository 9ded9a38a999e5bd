"""Schedules, ticks and scheduled runs in the store: leases, exactly-once recording, dispatch.

Exactly once rests on two unique keys, ``ticks(schedule_id, nominal_at)`` and
``runs(schedule_id, nominal_at)``, written with insert-or-ignore in the same transaction that
moves the schedule's high-water mark. Leases (owner + expiry) keep replicas off each other's
schedules; on PostgreSQL the claim uses ``FOR UPDATE SKIP LOCKED``, on SQLite every write
transaction is ``BEGIN IMMEDIATE`` (one writer at a time). Recording ticks and their runs is in
``tick_records``; starting queued runs, and what workers record of them, in ``run_dispatch``
(both base classes of :class:`ScheduleStore`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from sundial.errors import AlreadyExistsError, NotFoundError
from sundial.store import tables as t
from sundial.store.records import (
    ACTIVE,
    ACTIVE_RUN_STATUSES,
    CANCELLED,
    CANCELLING,
    DELETED,
    QUEUED,
    RUNNING,
    STARTING,
    RunRecord,
)
from sundial.store.run_dispatch import RunDispatch, one_of
from sundial.store.schedule_record import ScheduleRecord
from sundial.store.store import Store
from sundial.store.tick_records import TickRecords

RUN_ACTIVE = tuple(ACTIVE_RUN_STATUSES)


def deleted_name(name: str, schedule_id: str) -> str:
    """The name a deleted schedule keeps once a new schedule takes its own (fits 255)."""
    return f"{name[:230]}~deleted-{schedule_id[:8]}"


# What the claim returns of each schedule, in this order (the last is computed).
_CLAIMED = ("id", "name", "pipeline_id", "version_id", "params", "enable_cache", "orchestrator",
            "definition", "state", "paused_at", "resumed_at", "created_at", "last_nominal_at",
            "next_fire_at", "fired_count", "active_runs")


@dataclass(frozen=True, slots=True)
class ClaimedSchedule:
    """A schedule leased for planning: what ``plan`` and the recording of its ticks need."""

    id: str
    name: str
    pipeline_id: int
    version_id: int
    params: dict[str, Any]
    enable_cache: int | None
    orchestrator: str
    definition: str
    state: str
    paused_at: datetime | None
    resumed_at: datetime | None
    created_at: datetime
    last_nominal_at: datetime | None
    next_fire_at: datetime | None
    fired_count: int
    #: Runs of the schedule queued, starting or running when it was claimed.
    active_runs: int


class ScheduleStore(TickRecords, RunDispatch):
    """The schedule half of the store. Methods taking ``conn`` compose into one transaction.

    Recording ticks and their runs comes from :class:`TickRecords` (``tick_records``);
    dispatching queued runs, and what workers record of them, from :class:`RunDispatch`
    (``run_dispatch``)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # The statements of the scheduler's hot path, built once per store (building one
        # costs several times more than executing it).
        s = t.schedules.c
        # Spelled with its table: SQLAlchemy writes RETURNING columns bare on SQLite, where a
        # bare ``id`` inside the subquery would be the run's.
        claimed_id: Any = literal_column(f"{t.schedules.name}.id")
        active = (select(func.count()).select_from(t.runs)
                  .where(t.runs.c.schedule_id == claimed_id, one_of(t.runs.c.status, RUN_ACTIVE))
                  .scalar_subquery())
        # The claim leases the due schedules and returns what planning and recording need,
        # with each one's active runs: one statement. Claim and recording share a write
        # transaction in which the rows cannot change under us (SQLite: BEGIN IMMEDIATE, one
        # writer; PostgreSQL: the rows stay locked FOR UPDATE), so no second read is needed.
        due = self._due(bindparam("b_owner"), bindparam("b_now")).limit(bindparam("b_limit"))
        if store.dialect == "postgresql":
            due = due.with_for_update(skip_locked=True)
        self._claim = (update(t.schedules).where(s.id.in_(due.scalar_subquery()))
                       .values(lease_owner=bindparam("b_owner"),
                               lease_expires_at=bindparam("b_lease"))
                       .returning(*[s[name] for name in _CLAIMED[:-1]], active))
        self._advance = update(t.schedules).where(s.id == bindparam("b_id")).values(
            last_nominal_at=bindparam("b_last"), next_fire_at=bindparam("b_next"),
            fired_count=bindparam("b_fired"), state=bindparam("b_state"),
            updated_at=bindparam("b_now"), lease_owner=bindparam("b_owner"),
            lease_expires_at=bindparam("b_lease"))
        r = t.runs.c
        self._next_wake = select(
            select(func.min(s.next_fire_at)).where(s.state == ACTIVE, s.native_ref.is_(None))
            .scalar_subquery(),
            select(func.min(r.not_before)).where(r.status == QUEUED,
                                                 r.not_before > bindparam("b_now"))
            .scalar_subquery())
        self._prepare_ticks()
        self._prepare_dispatch()

    # -- rows ---------------------------------------------------------------------------------
    def _query(self) -> Any:
        return (select(t.schedules, t.pipelines.c.name.label("pipeline"))
                .join(t.pipelines, t.pipelines.c.id == t.schedules.c.pipeline_id))

    @staticmethod
    def _record(row: Any) -> ScheduleRecord:
        m = dict(row if isinstance(row, dict) else row._mapping)
        m["enable_cache"] = None if m["enable_cache"] is None else bool(m["enable_cache"])
        return ScheduleRecord(**m)

    def get_free_name(self, name: str) -> None:
        """Make ``name`` free for a new schedule.

        A deleted schedule that holds it keeps its history under a new name, ``NAME~deleted-
        <id prefix>`` (still listed with ``--all`` and found by its id).

        :raises AlreadyExistsError: when a schedule that is not deleted has this name.
        """
        with self.store.write() as conn:
            taken = conn.execute(select(t.schedules.c.id, t.schedules.c.state)
                                 .where(t.schedules.c.name == name)).first()
            if taken is not None and taken.state == DELETED:
                conn.execute(update(t.schedules).where(t.schedules.c.id == taken.id)
                             .values(name=deleted_name(name, taken.id)))
                return
        if taken:
            raise AlreadyExistsError(
                f"a schedule named '{name}' exists already",
                "pick another name=, or change the existing one with "
                f"`sundial schedule update {name}` / Client().schedules.update(...)")

    def insert(self, *, name: str, pipeline_id: int, version_id: int, params: dict[str, Any],
               enable_cache: bool | None, orchestrator: str, definition: str,
               next_fire_at: datetime | None, now: datetime,
               native_ref: str | None = None, schedule_id: str | None = None,
               deployment: dict[str, Any] | None = None) -> str:
        schedule_id = schedule_id or str(uuid.uuid4())
        # The caller checked the name (before anything was created on an orchestrator); a
        # registration racing it is stopped by the unique constraint.
        try:
            with self.store.write() as conn:
                conn.execute(insert(t.schedules).values(
                    id=schedule_id, name=name, pipeline_id=pipeline_id, version_id=version_id,
                    params=params,
                    enable_cache=None if enable_cache is None else int(enable_cache),
                    orchestrator=orchestrator, native_ref=native_ref, definition=definition,
                    deployment=deployment,
                    state=ACTIVE, created_at=now, updated_at=now, next_fire_at=next_fire_at,
                    fired_count=0))
        except IntegrityError:
            self.get_free_name(name)  # raises AlreadyExistsError when that was the cause
            raise
        return schedule_id

    def get(self, name_or_id: str, *, conn: Connection | None = None,
            include_deleted: bool = False) -> ScheduleRecord:
        q = self._query().where(or_(t.schedules.c.name == name_or_id,
                                    t.schedules.c.id == name_or_id))
        if conn is not None:
            row = conn.execute(q).first()
        else:
            with self.store.read() as c:
                row = c.execute(q).first()
        if row is None or (row.state == DELETED and not include_deleted):
            raise NotFoundError(f"no schedule named '{name_or_id}'",
                                "list schedules with `sundial schedule list`")
        return self._record(row)

    def get_many(self, ids: Sequence[str]) -> list[ScheduleRecord]:
        """The schedules with these ids, in that order (unknown ids are left out)."""
        found: dict[str, ScheduleRecord] = {}
        with self.store.read() as conn:
            for i in range(0, len(ids), 5_000):
                for row in conn.execute(self._query().where(
                        t.schedules.c.id.in_(ids[i:i + 5_000]))).all():
                    found[row.id] = self._record(row)
        return [found[i] for i in ids if i in found]

    def find(self, *, include_deleted: bool = False,
             pipeline: str | None = None) -> list[ScheduleRecord]:
        q = self._query().order_by(t.schedules.c.created_at)
        if not include_deleted:
            q = q.where(t.schedules.c.state != DELETED)
        if pipeline:
            q = q.where(t.pipelines.c.name == pipeline)
        with self.store.read() as conn:
            return [self._record(r) for r in conn.execute(q).all()]

    def advance(self, conn: Connection, moves: Sequence[Advance]) -> None:
        """Move schedules' high-water marks after their ticks are recorded (one
        ``executemany``)."""
        if moves:
            conn.execute(self._advance, [{
                "b_id": m.schedule_id, "b_last": m.last_nominal, "b_next": m.next_fire_at,
                "b_fired": m.fired_count, "b_state": m.state, "b_now": m.now,
                "b_owner": m.lease_owner, "b_lease": m.lease_expires_at} for m in moves])

    def set(self, schedule_id: str, conn: Connection | None = None, **values: Any) -> None:
        stmt = update(t.schedules).where(t.schedules.c.id == schedule_id).values(**values)
        if conn is not None:
            conn.execute(stmt)
            return
        with self.store.write() as c:
            c.execute(stmt)

    def cancel_queued(self, schedule_id: str, now: datetime, reason: str) -> int:
        """Cancel the runs of a schedule that have not started."""
        with self.store.write() as conn:
            return int(conn.execute(update(t.runs).where(
                t.runs.c.schedule_id == schedule_id, t.runs.c.status == QUEUED)
                .values(status=CANCELLED, ended_at=now, error=reason)).rowcount)

    def hard_delete(self, schedule_id: str) -> None:
        with self.store.write() as conn:
            conn.execute(update(t.runs).where(t.runs.c.schedule_id == schedule_id)
                         .values(schedule_id=None))
            conn.execute(delete(t.ticks).where(t.ticks.c.schedule_id == schedule_id))
            conn.execute(delete(t.schedules).where(t.schedules.c.id == schedule_id))

    # -- leases -------------------------------------------------------------------------------
    def _due(self, owner: Any, now: Any) -> Any:
        s = t.schedules.c
        # Only sundial-mode schedules: native ones fire on their orchestrator.
        return (select(s.id).where(s.state == ACTIVE, s.native_ref.is_(None),
                                   s.next_fire_at <= now,
                                   or_(s.lease_owner.is_(None), s.lease_expires_at < now,
                                       s.lease_owner == owner))
                .order_by(s.next_fire_at))

    def claim(self, conn: Connection, owner: str, now: datetime, lease: timedelta,
              limit: int = 100) -> list[ClaimedSchedule]:
        """Lease up to ``limit`` active schedules whose next fire time has come (rows locked
        by another replica are skipped on PostgreSQL), oldest fire time first, each with its
        number of active runs. The rows stay as returned until the transaction ends."""
        rows = conn.execute(self._claim, {"b_owner": owner, "b_now": now, "b_limit": limit,
                                          "b_lease": now + lease}).all()
        claimed = [ClaimedSchedule(*row) for row in rows]
        claimed.sort(key=_fire_time)  # RETURNING keeps no order
        return claimed

    def release(self, owner: str) -> None:
        with self.store.write() as conn:
            conn.execute(update(t.schedules).where(t.schedules.c.lease_owner == owner)
                         .values(lease_owner=None, lease_expires_at=None))

    def cancel_oldest(self, conn: Connection, schedule_id: str, count: int,
                      now: datetime) -> list[str]:
        """Cancel the ``count`` oldest active runs (queued ones at once; running ones are
        asked to stop and their worker ends them)."""
        if count <= 0:
            return []
        rows = conn.execute(select(t.runs.c.id, t.runs.c.status).where(
            t.runs.c.schedule_id == schedule_id,
            t.runs.c.status.in_((QUEUED, STARTING, RUNNING)))
            .order_by(t.runs.c.nominal_at).limit(count)).all()
        for row in rows:
            if row.status == RUNNING:
                values: dict[str, Any] = dict(status=CANCELLING)
            else:
                values = dict(status=CANCELLED, ended_at=now,
                              error="cancelled: replaced by a newer tick")
            conn.execute(update(t.runs).where(t.runs.c.id == row.id).values(**values))
        return [r.id for r in rows]

    def runs_of(self, schedule_id: str, limit: int = 10) -> list[RunRecord]:
        return self.store._load_runs(t.runs.c.schedule_id == schedule_id, limit=limit,
                                     order_by_nominal=True)

    # -- the scheduler's loop -----------------------------------------------------------------
    def next_wake(self, now: datetime, conn: Connection | None = None) -> datetime | None:
        """The earliest instant something may become due: a fire time, a jittered run (one
        statement; in the caller's transaction when ``conn`` is given)."""
        if conn is None:
            with self.store.read() as c:
                return self.next_wake(now, c)
        fire, jittered = conn.execute(self._next_wake, {"b_now": now}).one()
        candidates = [x for x in (fire, jittered) if x is not None]
        return min(candidates) if candidates else None

    def load(self) -> tuple[int, int]:
        """(active schedules, scheduled runs queued or in flight)."""
        with self.store.read() as conn:
            active = conn.execute(select(func.count()).select_from(t.schedules).where(
                t.schedules.c.state == ACTIVE, t.schedules.c.native_ref.is_(None))).scalar_one()
            # Runs of native schedules are the platform's to run, not this scheduler's.
            inflight = conn.execute(select(func.count()).select_from(t.runs).join(
                t.schedules, t.schedules.c.id == t.runs.c.schedule_id).where(
                t.schedules.c.native_ref.is_(None),
                t.runs.c.status.in_(RUN_ACTIVE))).scalar_one()
        return int(active), int(inflight)

    def is_idle(self) -> bool:
        """No active schedule and no scheduled run waiting or in flight."""
        return self.load() == (0, 0)


@dataclass(frozen=True, slots=True)
class Advance:
    """A schedule's new high-water mark, next fire time, run count, state and lease."""

    schedule_id: str
    last_nominal: datetime | None
    next_fire_at: datetime | None
    fired_count: int
    state: str
    now: datetime
    lease_owner: str | None
    lease_expires_at: datetime | None


def _fire_time(claimed: ClaimedSchedule) -> tuple[bool, datetime | None]:
    return claimed.next_fire_at is None, claimed.next_fire_at

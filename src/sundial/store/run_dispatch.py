"""Scheduled runs once queued: dispatch to workers, workers taking and ending them, reaping.

:class:`RunDispatch` is a part of :class:`~sundial.store.schedule_store.ScheduleStore` (which
inherits it): it moves queued runs to ``starting`` within each schedule's max_active_runs, hands
a worker what to submit, records how a run on a platform ended, and fails or requeues runs whose
worker was lost. Recording ticks and the runs they queue stays in ``schedule_store``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    and_,
    bindparam,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    type_coerce,
    update,
)

from sundial.store import tables as t
from sundial.store.records import (
    ACTIVE,
    CANCELLED,
    CANCELLING,
    COMPLETED,
    FAILED,
    FINISHED_RUN_STATUSES,
    PAUSED,
    QUEUED,
    RERUN,
    RUNNING,
    SKIPPED,
    STARTING,
)
from sundial.store.store import Store

_DISPATCH_LOCK_ID = 0x5D1A2  # PostgreSQL advisory lock key for dispatching runs
NEVER_STARTED = "its worker never started (what started it stopped first); re-run it"


def one_of(column: Any, values: Sequence[str]) -> Any:
    """``column IN (values)`` for a few fixed values, as plain bound parameters: a tuple given
    to ``in_`` becomes an expanding parameter, whose SQL is rendered again at every
    execution (a cost the scheduler's statements would pay at every pass)."""
    return or_(*(column == value for value in values))


class RunDispatch:
    """The run half of :class:`~sundial.store.schedule_store.ScheduleStore`: dispatch, workers,
    reaping. Methods taking ``conn`` compose into one transaction."""

    store: Store

    def _prepare_dispatch(self) -> None:
        """Build the dispatch statements once per store (building one costs several times more
        than executing it)."""
        s = t.schedules.c
        r = t.runs.c
        due = self._startable(bindparam("b_now"))
        # Which queued runs start, in one statement. A run starts iff it bypasses the limit
        # or its place among its schedule's startable runs, oldest tick first, is within the
        # schedule's free slots: max_active_runs (read from the definition's JSON) minus its
        # runs starting, running or cancelling. (This is what walking them in order and
        # counting every run started, bypassing or not, does.) The work is bounded by the
        # free slots, not by a catch-up's backlog: that is walked only as far as it starts.
        definition: Any
        if self.store.dialect == "postgresql":
            definition = cast(s.definition, JSON)
        else:  # SQLite keeps JSON as text; json_extract reads it as it is
            definition = type_coerce(s.definition, JSON)
        busy_runs = (select(func.count()).select_from(t.runs)
                     .where(r.schedule_id == s.id,
                            one_of(r.status, (STARTING, RUNNING, CANCELLING)))
                     .correlate(t.schedules).scalar_subquery())
        # Schedules with queued runs, one seek into ix_runs_queue each (a walk from one to
        # the next: a DISTINCT would read every queued run of a backlog, as PostgreSQL does,
        # having no skip scan).
        first_waiting = (select(func.min(r.schedule_id).label("schedule_id"))
                         .where(r.status == QUEUED).cte("waiting", recursive=True))
        previous = first_waiting.alias("previous")
        waiting = first_waiting.union_all(
            select(select(func.min(r.schedule_id))
                   .where(r.status == QUEUED, r.schedule_id > previous.c.schedule_id)
                   .scalar_subquery())
            .where(previous.c.schedule_id.is_not(None)))
        # Each with its free slots, computed once per schedule.
        free = (select(s.id.label("schedule_id"),
                       (func.coalesce(definition["max_active_runs"].as_integer(), 1)
                        - busy_runs).label("free"))
                .join(waiting, waiting.c.schedule_id == s.id)
                # Runs of native schedules run on their platform, not in a local worker.
                .where(one_of(s.state, (ACTIVE, PAUSED, COMPLETED)), s.native_ref.is_(None))
                .cte("free_slots"))

        def next_due(schedule_id: Any, after: Any = None) -> Any:
            """The tick of a schedule's oldest startable run (after ``after``): one seek
            into ix_runs_queue, which holds a schedule's queued runs in tick order."""
            query = select(r.nominal_at).where(r.schedule_id == schedule_id, due)
            if after is not None:
                query = query.where(r.nominal_at > after)
            return query.order_by(r.nominal_at).limit(1).scalar_subquery()

        # The ticks of each schedule's first `free` startable runs, one step per place (a
        # recursive walk: neither database limits a per-schedule read by a per-schedule
        # count otherwise in a form both accept).
        first = (select(free.c.schedule_id, next_due(free.c.schedule_id).label("nominal_at"),
                        literal(1).label("place"), free.c.free)
                 .where(free.c.free > 0).cte("walk", recursive=True))
        step = first.alias("step")
        walk = first.union_all(
            select(step.c.schedule_id, next_due(step.c.schedule_id, step.c.nominal_at),
                   step.c.place + 1, step.c.free)
            .where(step.c.place < step.c.free, step.c.nominal_at.is_not(None)))
        within_slots = select(r.id).join(walk, and_(walk.c.schedule_id == r.schedule_id,
                                                    walk.c.nominal_at == r.nominal_at))
        # A bypassing run starts whatever its place. (bypass_limit is 0 or 1: ``> 0`` lets
        # ix_runs_bypass seek to the few queued runs that bypass. The IN implies a schedule;
        # saying "schedule_id IS NOT NULL" too made SQLite pick ix_runs_queue and walk them all.)
        bypassing = select(r.id).where(
            r.status == QUEUED, r.bypass_limit > 0,
            r.schedule_id.in_(select(free.c.schedule_id)), self._tick_come(bindparam("b_now")))
        # The status guard keeps a run from starting twice. It is wrapped in coalesce so that
        # SQLite finds the chosen runs by id rather than walking every queued run through
        # the index on status to test each against the chosen ones.
        self._start_runs = (
            update(t.runs).where(r.id.in_(within_slots.union_all(bypassing).scalar_subquery()),
                                 func.coalesce(r.status, "") == QUEUED)
            .values(status=STARTING, started_at=bindparam("b_now"),
                    heartbeat_at=bindparam("b_now"), worker_host=bindparam("b_owner"))
            .returning(r.id, r.nominal_at))
        self._any_startable = select(r.id).where(due).limit(1)

    # -- workers --------------------------------------------------------------------------------
    def take_run(self, run_id: str, pid: int, host: str, now: datetime) -> bool:
        """``starting`` → ``running`` for exactly one worker."""
        with self.store.write() as conn:
            return bool(conn.execute(update(t.runs).where(
                t.runs.c.id == run_id, t.runs.c.status == STARTING).values(
                status=RUNNING, worker_pid=pid, worker_host=host, heartbeat_at=now)).rowcount)

    def run_request(self, run_id: str) -> dict[str, Any]:
        """What a worker submits: the run's identity (the fields of ``RunRequest``), its
        ``orchestrator`` and the orchestrator ``options`` its schedule was deployed with."""
        r, s = t.runs.c, t.schedules.c
        with self.store.read() as conn:
            row = conn.execute(
                select(r.id, r.version_id, r.params, r.enable_cache, r.schedule_id,
                       r.nominal_at, r.trigger, r.orchestrator, t.pipelines.c.name,
                       s.name.label("schedule_name"), s.deployment)
                .join(t.pipelines, t.pipelines.c.id == r.pipeline_id)
                .outerjoin(t.schedules, s.id == r.schedule_id)
                .where(r.id == run_id)).one()
        return {
            "run_id": str(row.id), "pipeline": str(row.name), "version_id": int(row.version_id),
            "params": dict(row.params), "enable_cache": None if row.enable_cache is None
            else bool(row.enable_cache), "schedule_id": row.schedule_id,
            "schedule_name": row.schedule_name, "nominal_at": row.nominal_at,
            "trigger": str(row.trigger or "manual"), "orchestrator": str(row.orchestrator),
            "options": dict((row.deployment or {}).get("options") or {})}

    def finish_remote_run(self, run_id: str, status: str, reason: str | None,
                          steps: Sequence[Mapping[str, Any]], now: datetime) -> None:
        """Record how a run on a platform ended, unless its steps already did: a failure with
        the platform's reason; steps that never ran, ``skipped``."""
        r, sr = t.runs.c, t.step_runs.c
        with self.store.write() as conn:
            current = conn.execute(select(r.status).where(r.id == run_id)).scalar()
            if current in FINISHED_RUN_STATUSES:  # its steps said how it ended: they win
                status = str(current)
            else:
                conn.execute(update(t.runs).where(r.id == run_id).values(
                    status=status, ended_at=now,
                    error=None if status == COMPLETED else (reason or status)))
            recorded = set(conn.execute(select(sr.name).where(sr.run_id == run_id))
                           .scalars().all())
            conn.execute(update(t.step_runs).where(sr.run_id == run_id, sr.status == RUNNING)
                         .values(status=FAILED if status == FAILED else CANCELLED,
                                 ended_at=now, error=reason or status))
            if status == COMPLETED:
                return
            missing = [(i, s) for i, s in enumerate(steps) if s["id"] not in recorded]
            if missing:
                conn.execute(insert(t.step_runs), [dict(
                    run_id=run_id, name=s["id"], step=s.get("step", s["id"]), position=i,
                    status=SKIPPED, attempts=0,
                    error=f"not run on the platform: {reason or status}") for i, s in missing])

    def finish_remote_run_of(self, external_id: str, status: str, reason: str | None,
                             now: datetime) -> None:
        """:meth:`finish_remote_run` for the run a platform knows as ``external_id`` (a
        backend's ``run_status`` that sees the platform end a run records it at once, so a
        run-now ends in the store as it does when the scheduler's worker follows it)."""
        run_id = self.store.run_for_external_id(external_id)
        if run_id is None:
            return
        version_id, _params, _cache = self.store.run_definition(run_id)
        spec, _source = self.store.version_source(version_id)
        self.finish_remote_run(run_id, status, reason, spec["steps"], now)

    def fail_run_if_queued(self, run_id: str, now: datetime, error: str) -> bool:
        """Fail a run that has not started (a platform refused it)."""
        with self.store.write() as conn:
            return bool(conn.execute(update(t.runs).where(
                t.runs.c.id == run_id, t.runs.c.status == QUEUED)
                .values(status=FAILED, ended_at=now, error=error)).rowcount)

    # -- dispatch -----------------------------------------------------------------------------
    def claim_runs_to_start(self, now: datetime, owner: str, *,
                            conn: Connection | None = None) -> list[str]:
        """Move queued runs that may start now to ``starting``, oldest tick first, within each
        schedule's max_active_runs unless the run bypasses it. Pausing stops ticks, not runs
        already queued (manual, back-filled, caught up): those of paused schedules start
        too. Returns their ids; the caller starts a worker for each."""
        if conn is not None:
            return self._claim_runs(conn, now, owner)
        if not self.any_startable(now):
            return []
        # Durable: the claim, and every record committed before it, survives a machine crash
        # before the worker starts (on SQLite the WAL is fsynced up to here).
        with self.store.write(durable=True) as c:
            return self._claim_runs(c, now, owner)

    def any_startable(self, now: datetime) -> bool:
        """Some queued run may start now (a read: usually none, and no write lock taken)."""
        with self.store.read() as c:
            return c.execute(self._any_startable, {"b_now": now}).first() is not None

    def still_starting(self, run_ids: list[str], owner: str) -> list[str]:
        """Those of ``run_ids`` that are ``starting`` on behalf of ``owner``: claimed by a
        commit whose answer was lost, and neither started nor taken back since."""
        r = t.runs.c
        with self.store.read() as c:
            return [str(i) for i in c.execute(select(r.id).where(
                r.id.in_(run_ids), r.status == STARTING, r.worker_host == owner)
                .order_by(r.nominal_at)).scalars()]

    @classmethod
    def _startable(cls, now: Any) -> Any:
        r = t.runs.c
        return and_(r.status == QUEUED, r.schedule_id.is_not(None), cls._tick_come(now))

    @staticmethod
    def _tick_come(now: Any) -> Any:
        """A run's tick has come and its jitter has passed. (A schedule's queued runs always
        have their tick: the dispatcher walks them by it.)"""
        r = t.runs.c
        return and_(r.nominal_at.is_not(None), or_(r.not_before.is_(None), r.not_before <= now))

    def _claim_runs(self, conn: Connection, now: datetime, owner: str) -> list[str]:
        if self.store.dialect == "postgresql":
            # Replicas count busy runs and then claim: serialise that, or two of them,
            # each reading before the other commits, could both fill the last slot.
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _DISPATCH_LOCK_ID})
        rows = conn.execute(self._start_runs, {"b_now": now, "b_owner": owner}).all()
        # RETURNING keeps no order: oldest tick first.
        return [str(row.id) for row in sorted(rows, key=lambda row: row.nominal_at)]

    def reap(self, now: datetime, timeout: timedelta) -> tuple[list[str], list[str]]:
        """Fail runs whose worker stopped heartbeating (``worker lost``) and put back runs that
        were handed to a worker that never started (a re-run, which has no dispatcher to
        start it again, fails). Returns (failed ids, requeued ids)."""
        r = t.runs.c
        stale = now - timeout
        # Look first without the write lock: there is usually nothing to reap.
        with self.store.read() as conn:
            if conn.execute(select(r.id).where(
                    r.status.in_((RUNNING, CANCELLING, STARTING)), r.heartbeat_at < stale)
                    .limit(1)).first() is None:
                return [], []
        with self.store.write() as conn:
            lost = conn.execute(select(r.id).where(
                r.status.in_((RUNNING, CANCELLING)), r.heartbeat_at < stale)).scalars().all()
            if lost:
                conn.execute(update(t.runs).where(r.id.in_(lost)).values(
                    status=FAILED, ended_at=now, error="worker lost"))
                conn.execute(update(t.step_runs).where(
                    t.step_runs.c.run_id.in_(lost), t.step_runs.c.status == RUNNING)
                    .values(status=FAILED, ended_at=now, error="worker lost"))
            never = conn.execute(select(r.id, r.trigger).where(
                r.status == STARTING, r.heartbeat_at < stale)).all()
            # A re-run was handed to a worker of its own (no dispatcher would start it again):
            # it fails, never left queued.
            orphans = [i for i, trigger in never if trigger == RERUN]
            again = [i for i, trigger in never if trigger != RERUN]
            if orphans:
                conn.execute(update(t.runs).where(r.id.in_(orphans), r.status == STARTING)
                             .values(status=FAILED, ended_at=now, error=NEVER_STARTED))
            if again:
                conn.execute(update(t.runs).where(r.id.in_(again), r.status == STARTING)
                             .values(status=QUEUED, started_at=None, worker_host=None))
        return [*lost, *orphans], again

    def fail_run_if_active(self, run_id: str, now: datetime, error: str) -> bool:
        """Fail a run (and its step that was running) unless it has ended already."""
        with self.store.write() as conn:
            failed = bool(conn.execute(update(t.runs).where(
                t.runs.c.id == run_id, t.runs.c.status.in_((STARTING, RUNNING, CANCELLING)))
                .values(status=FAILED, ended_at=now, error=error)).rowcount)
            if failed:
                conn.execute(update(t.step_runs).where(
                    t.step_runs.c.run_id == run_id, t.step_runs.c.status == RUNNING)
                    .values(status=FAILED, ended_at=now, error=error))
        return failed

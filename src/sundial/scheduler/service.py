"""The scheduler service: claim due schedules, record their ticks and runs, start workers.

One pass (:meth:`SchedulerService.step`) reaps runs whose worker died, handles every due schedule
(lease → plan → record, one transaction each) and starts the queued runs that may start. Between
passes the service sleeps until the next fire time, or until a wake-up says a schedule or a run
changed; it never polls on a fixed beat. All decisions come from the pure ``plan``; this module
only moves data between it, the store and the worker processes.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from sundial.alerts.dispatch import AlertDispatcher
from sundial.config import Settings
from sundial.definition.schedule import Schedule
from sundial.scheduler.clock import Clock, SystemClock
from sundial.scheduler.outcomes import RunOutcome, outcome_of, step_lines
from sundial.scheduler.plan import Plan, ScheduleState, plan
from sundial.scheduler.wake import WakeListener
from sundial.scheduler.watch import Watch
from sundial.store.connection import TRANSIENT_ERRORS
from sundial.store.records import ACTIVE, CANCELLED, COMPLETED
from sundial.store.schedule_store import Advance, ClaimedSchedule, ScheduleStore
from sundial.store.store import Store
from sundial.store.tick_records import NewTick

if TYPE_CHECKING:
    from sundial.store.connection import Connection

log = logging.getLogger("sundial.scheduler")

# With nothing scheduled, wake this often anyway (a wake-up from another machine may be lost).
IDLE_WAIT_SECONDS = 300.0
# A schedule whose stored definition cannot be planned is looked at again after this; its
# ticks are not lost (its high-water mark does not move), only delayed.
BROKEN_RETRY = timedelta(minutes=1)
# Planning one schedule longer than this is a defect: it is reported and set aside like a
# broken definition (retried after BROKEN_RETRY), so one schedule never stops the others.
PLAN_BUDGET = timedelta(seconds=5)
# Schedules claimed per transaction: a batch is one commit, and lateness of at most one batch.
CLAIM_LIMIT = 100


class Executor(Protocol):
    """Starts the worker of a run that the store has moved to ``starting``."""

    def start(self, run_id: str) -> None: ...


def exit_reason(code: int) -> str:
    """Why a run failed whose worker exited with ``code`` (not 0)."""
    return "worker lost" if code < 0 else f"worker exited with code {code}"


class SubprocessExecutor:
    """One ``python -m sundial.scheduler.worker RUN_ID`` process per run.

    Workers run in their own session, so they survive a scheduler restart and keep
    heartbeating; a worker that exits abnormally has its run failed at once.
    """

    def __init__(self, on_exit: Callable[[str, int], None], log_dir: Path,
                 on_gone: Callable[[], None] = lambda: None,
                 env: Mapping[str, str] | None = None) -> None:
        self._on_exit = on_exit
        self._on_gone = on_gone
        self._log_dir = log_dir
        self._env = dict(env or {})  # over this process's environment
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, run_id: str) -> None:
        self._log_dir.mkdir(parents=True, exist_ok=True)
        with open(self._log_dir / f"{run_id}.log", "ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "sundial.scheduler.worker", run_id],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, env={**os.environ, **self._env})
        self.processes[run_id] = proc
        threading.Thread(target=self._wait, args=(run_id, proc), daemon=True,
                         name=f"sundial-worker-{run_id[:8]}").start()

    def busy(self) -> bool:
        """Some worker has not exited yet (or its end is still being reported)."""
        return bool(self.processes)

    def _wait(self, run_id: str, proc: subprocess.Popen[bytes]) -> None:
        code = proc.wait()
        try:
            self._on_exit(run_id, code)
        finally:  # only now: `--exit-when-idle` waits for the run's outcome to be logged
            self.processes.pop(run_id, None)
            self._on_gone()


class SchedulerService:
    """Fires schedules on the local orchestrator with the semantics of DESIGN §2."""

    def __init__(self, store: Store, *, clock: Clock | None = None,
                 executor: Executor | None = None, owner: str | None = None,
                 lease: timedelta = timedelta(seconds=30),
                 heartbeat_timeout: timedelta = timedelta(seconds=30),
                 batch: int = 10_000, log_dir: Path | None = None,
                 alerts: AlertDispatcher | None = None,
                 lateness: timedelta = timedelta(minutes=5),
                 on_run_end: Callable[[RunOutcome], None] | None = None,
                 plan_budget: timedelta = PLAN_BUDGET) -> None:
        self.store = store
        self.schedules = ScheduleStore(store)
        self.clock: Clock = clock or SystemClock()
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease = lease
        self.heartbeat_timeout = heartbeat_timeout
        self.batch = batch
        self.plan_budget = plan_budget
        self._wake = threading.Event()
        self._next_reap: datetime | None = None
        # Runs claimed by a transaction whose commit raised: it may have committed all the
        # same (the connection broke after the server committed). See _start_in_doubt.
        self._in_doubt: list[str] = []
        self.watch = Watch(store, self.owner, lateness=lateness, alerts=alerts)
        # Told of every run this replica saw end (its own workers, runs it reaped): alerts.
        self.on_run_end = on_run_end or self.watch.run_ended
        self.executor: Executor = executor or SubprocessExecutor(
            self._worker_exited, log_dir or Settings.from_env().home / "logs",
            on_gone=self._wake.set)

    # -- one pass -------------------------------------------------------------------------------
    def step(self) -> datetime | None:
        """Do everything that is due now; return when something next becomes due."""
        now = self.clock.now()
        self._start_in_doubt()
        # Reaping looks for heartbeats older than the timeout: twice per timeout is enough,
        # and it keeps a query off the passes that fire ticks.
        if self._next_reap is None or now >= self._next_reap:
            self.reap(now)
            self._next_reap = now + self.heartbeat_timeout / 2
        # One write transaction per pass: claim a batch, plan and record it, claim the runs
        # that may start (those of the batch and any whose slot a finished run freed), and
        # read when to wake next. One commit per batch, and lateness of at most one batch.
        # A claim that was full, or a schedule whose plan hit its batch limit (it keeps its
        # lease), makes another round at once. With nothing to do the transaction writes
        # nothing, and its commit syncs nothing.
        with self.store.pinned():  # one connection for the pass's transactions
            while True:
                logs: list[tuple[str, Plan, int, list[str]]] = []
                started: list[str] = []
                # Durable (fsynced on SQLite): a tick that was dispatched is never fired again
                # after a machine crash.
                with self._claiming(started), self.store.write(durable=True) as conn:
                    claimed = self.schedules.claim(conn, self.owner, now, self.lease,
                                                   limit=CLAIM_LIMIT)
                    decided = self.handle(claimed, now, conn=conn, logs=logs) \
                        if claimed else {}
                    started += self.schedules.claim_runs_to_start(now, self.owner, conn=conn)
                    more = len(claimed) == CLAIM_LIMIT or any(p.more for p in decided.values())
                    wake = None if more else self.schedules.next_wake(now, conn)
                for entry in logs:  # after the commit: what is logged has happened
                    _log_plan(*entry)
                self._start(started)
                if not more:
                    return wake

    def handle(self, claimed: list[ClaimedSchedule], now: datetime, *, conn: Connection,
               logs: list[tuple[str, Plan, int, list[str]]]) -> dict[str, Plan]:
        """Plan claimed schedules and record the outcomes, in the caller's transaction: one
        insert of all their ticks, one of all their runs, one update of their marks."""
        decided: dict[str, Plan] = {}
        planned: list[tuple[ClaimedSchedule, Plan]] = []
        for rec in claimed:
            if rec.state != ACTIVE:  # paused or deleted after it was claimed
                self.schedules.set(rec.id, conn, lease_owner=None, lease_expires_at=None)
                continue
            window = (rec.paused_at, rec.resumed_at) \
                if rec.paused_at and rec.resumed_at else None
            try:
                state = ScheduleState(schedule=_parse(rec.definition), schedule_id=rec.id,
                                      created_at=rec.created_at,
                                      last_nominal=rec.last_nominal_at,
                                      fired_count=rec.fired_count,
                                      active_runs=rec.active_runs, paused_window=window)
                p = decided[rec.id] = plan(state, now, batch=self.batch,
                                           over_budget=_budget(self.plan_budget))
            except Exception as err:  # one broken definition must not stop the others
                log.error("schedule %s cannot be planned (%s); retrying in %s", rec.name,
                          err, BROKEN_RETRY)
                self.schedules.set(rec.id, conn, next_fire_at=now + BROKEN_RETRY,
                                   lease_owner=None, lease_expires_at=None)
                continue
            planned.append((rec, p))
        if not planned:
            return decided
        cancelled = {rec.id: self.schedules.cancel_oldest(conn, rec.id, p.cancel_oldest, now)
                     for rec, p in planned if p.cancel_oldest}
        created = self.schedules.record_batch(conn, [(rec, [
            NewTick(nominal=d.nominal, run=d.run,
                    reason=("catchup" if d.catchup else "live") if d.run else d.reason,
                    not_before=d.not_before, bypass_limit=d.bypass_limit)
            for d in p.ticks]) for rec, p in planned], now)
        lease = now + self.lease
        self.schedules.advance(conn, [Advance(
            rec.id, last_nominal=p.last_nominal,
            next_fire_at=None if p.completed else p.next_fire_at,
            fired_count=rec.fired_count + made,
            state=COMPLETED if p.completed else ACTIVE, now=now,
            lease_owner=self.owner if p.more else None,
            lease_expires_at=lease if p.more else None)
            for (rec, p), made in zip(planned, created, strict=True)])
        logs += [(rec.name, p, made, cancelled.get(rec.id, []))
                 for (rec, p), made in zip(planned, created, strict=True)]
        return decided

    def dispatch(self, now: datetime) -> list[str]:
        """Start the queued runs that may start, within each schedule's max_active_runs."""
        if not self.schedules.any_startable(now):
            return []
        started: list[str] = []
        with self._claiming(started), self.store.write(durable=True) as conn:
            started += self.schedules.claim_runs_to_start(now, self.owner, conn=conn)
        self._start(started)
        return started

    @contextlib.contextmanager
    def _claiming(self, claimed: list[str]) -> Iterator[None]:
        """Around a transaction that claims runs into ``claimed``: if its commit raises, the
        claim may have been committed anyway, and nobody else would start those runs before
        the reaper gives them back a heartbeat timeout later; remember them."""
        try:
            yield
        except TRANSIENT_ERRORS:
            self._in_doubt += claimed
            raise

    def _start_in_doubt(self) -> None:
        """Start the runs of a commit in doubt that did commit (still ``starting`` as ours)."""
        if self._in_doubt:
            committed = self.schedules.still_starting(self._in_doubt, self.owner)
            self._in_doubt = []
            self._start(committed)

    def _start(self, run_ids: list[str]) -> None:
        for run_id in run_ids:
            log.info("starting run %s", run_id)
            self.executor.start(run_id)

    def reap(self, now: datetime) -> None:
        lost, requeued = self.schedules.reap(now, self.heartbeat_timeout)
        for run_id in lost:
            log.warning("run %s: no heartbeat for %s; marked failed (worker lost)", run_id,
                        self.heartbeat_timeout)
            self.report_end(run_id)
        for run_id in requeued:
            log.warning("run %s: its worker never started; queued again", run_id)

    def _worker_exited(self, run_id: str, code: int) -> None:
        if code != 0:
            reason = exit_reason(code)
            try:
                if self.schedules.fail_run_if_active(run_id, self.clock.now(), reason):
                    log.warning("run %s: %s", run_id, reason)
            except TRANSIENT_ERRORS:
                self._wake.set()
                return  # the reaper fails it after the heartbeat timeout, and reports it
        self.report_end(run_id)
        self._wake.set()

    def report_end(self, run_id: str) -> RunOutcome | None:
        """Log how a run ended (one line; its steps with -v) and pass it to ``on_run_end``."""
        try:
            run = self.store.get_run(run_id)
            name = self.schedules.get(run.schedule_id, include_deleted=True).name \
                if run.schedule_id else None
        except Exception as err:  # the line is lost, the run is not: it stays in the store
            log.warning("run %s ended; its outcome could not be read (%s)", run_id, err)
            return None
        outcome = outcome_of(run, name)
        level = {COMPLETED: logging.INFO, CANCELLED: logging.WARNING}.get(run.status,
                                                                          logging.ERROR)
        log.log(level, "%s", outcome.line(), extra={"sundial": outcome.as_dict()})
        for line in step_lines(run):
            log.debug("%s", line)
        if self.on_run_end is not None:
            try:
                self.on_run_end(outcome)
            except Exception:  # an alert that cannot be queued never stops the scheduler
                log.exception("run %s: the run-end alert failed", run_id)
        return outcome

    # -- the loop -------------------------------------------------------------------------------
    def serve(self, *, exit_when_idle: bool = False, stop: threading.Event | None = None,
              install_signals: bool = True) -> None:
        """Run until SIGTERM/SIGINT (or ``stop``); with ``exit_when_idle``, also stop once no
        schedule is active and no scheduled run is queued or running."""
        stop = stop or threading.Event()
        if install_signals:
            def _stop(signum: int, _frame: object) -> None:
                log.info("signal %s: stopping (no new claims)", signum)
                stop.set()
                self._wake.set()

            signal.signal(signal.SIGTERM, _stop)
            signal.signal(signal.SIGINT, _stop)
        listener = WakeListener(self.store.url, self._wake)
        reap_every = max(1.0, self.heartbeat_timeout.total_seconds() / 2)
        backoff = 0.5
        log.info("scheduler %s serving %s", self.owner, self.store.safe_url)
        self.watch.start(self.clock)
        # On SQLite the passes keep one connection from pass to pass: taken from the pool
        # each time, it was often the one another thread had just used for an ordinary
        # write, and a durable pass then set its sync level back, two more statements.
        # (On PostgreSQL a connection held through a server restart would be a broken one.)
        kept = contextlib.ExitStack()
        try:
            if self.store.dialect == "sqlite":
                kept.enter_context(self.store.pinned())
            while not stop.is_set():
                # Cleared before the pass, so a wake-up that arrives during it is not lost.
                self._wake.clear()
                try:
                    next_at = self.step()
                    timeout = IDLE_WAIT_SECONDS if next_at is None else \
                        (next_at - self.clock.now()).total_seconds()
                    # Counting what is in flight costs a query: only when it can matter.
                    active = inflight = 0
                    if exit_when_idle or timeout > reap_every:
                        active, inflight = self.schedules.load()
                    idle = exit_when_idle and active == 0 and inflight == 0 and not \
                        getattr(self.executor, "busy", bool)()
                    backoff = 0.5
                except TRANSIENT_ERRORS as err:
                    headline = getattr(err, "headline", str(err).splitlines()[0])
                    log.warning("database unavailable (%s); retrying in %.1fs", headline,
                                backoff)
                    self.clock.wait(stop, backoff)
                    backoff = min(backoff * 2, 30.0)
                    continue
                if idle:
                    log.info("idle: no active schedule and no run in flight; exiting")
                    break
                # Sleep until the next fire time; while runs are in flight, also wake to reap
                # the ones whose worker died. Nothing else is polled.
                if inflight:
                    timeout = min(timeout, reap_every)
                self.clock.wait(self._wake, timeout)
        finally:
            listener.close()
            with contextlib.suppress(*TRANSIENT_ERRORS):
                self.schedules.release(self.owner)  # else the leases expire on their own
            kept.close()
            with contextlib.suppress(*TRANSIENT_ERRORS):
                self.watch.stop(self.clock.now())  # also delivers the alerts still queued
            log.info("scheduler %s stopped", self.owner)


@functools.lru_cache(maxsize=65536)
def _parse(definition: str) -> Schedule:
    return Schedule.from_json(definition)


def _budget(budget: timedelta) -> Callable[[], bool]:
    """Says whether ``budget`` of real (monotonic) time has passed since it was made."""
    deadline = time.monotonic() + budget.total_seconds()
    return lambda: time.monotonic() > deadline


def _log_plan(name: str, decided: Plan, created: int, cancelled: list[str]) -> None:
    if not log.isEnabledFor(logging.INFO):  # the lines' arguments cost more than the check
        return
    if len(decided.ticks) <= 20:
        for d in decided.ticks:
            what = ("run (catch-up)" if d.catchup else "run") if d.run else f"skip ({d.reason})"
            log.info("schedule %s: tick %s -> %s", name, d.nominal.isoformat(), what)
    else:
        runs = sum(d.run for d in decided.ticks)
        log.info("schedule %s: %d ticks from %s to %s -> %d runs, %d skipped", name,
                 len(decided.ticks), decided.ticks[0].nominal.isoformat(),
                 decided.ticks[-1].nominal.isoformat(), runs, len(decided.ticks) - runs)
    if created != sum(d.run for d in decided.ticks):
        log.info("schedule %s: %d runs existed already (exactly once)", name,
                 sum(d.run for d in decided.ticks) - created)
    for run_id in cancelled:
        log.info("schedule %s: cancelled run %s (overlap=replace)", name, run_id)
    if decided.completed:
        # Not "completed": that read as success after failed runs. The runs report themselves.
        log.info("schedule %s: no more ticks (end_time or max_runs reached)", name)
    elif decided.next_fire_at is not None:
        log.info("schedule %s: next fire at %s", name, decided.next_fire_at.isoformat())


"""A worker process runs one scheduled run: ``python -m sundial.scheduler.worker RUN_ID``.

Each run gets its own process, so a pipeline that crashes, leaks or hangs never takes the
scheduler down. The worker takes the run from ``starting`` to ``running`` (exactly one worker
can) and submits it through its orchestrator's ``submit``, like any other run (sundial mode):

- ``local`` executes it here, to its end, with the same runner as a run-now;
- a remote platform starts it there; the worker keeps the run's heartbeat, follows
  ``run_status`` until the run ends, and records what the platform says: a failure with the
  platform's reason (a pod lost, a task killed), and steps that never ran as ``skipped``. A run
  asked to stop (``overlap="replace"``) is cancelled on the platform.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import traceback
from types import FrameType

from sundial.config import Settings
from sundial.engine.runner import Heartbeat, RunCancelled
from sundial.errors import ConfigError, OrchestratorError, SundialError
from sundial.orchestrators.base import Orchestrator, RunRequest, RunState
from sundial.orchestrators.registry import get_orchestrator
from sundial.scheduler.wake import notify_schedulers
from sundial.store.records import CANCELLED, CANCELLING, COMPLETED, FAILED
from sundial.store.schedule_store import ScheduleStore
from sundial.store.store import Store, utcnow

log = logging.getLogger("sundial.worker")

#: How often a remote run's state is read from its platform (``SUNDIAL_POLL_SECONDS``).
POLL_SECONDS = 10.0
#: Consecutive failures to read a remote run's state before the run is failed.
UNREACHABLE_LIMIT = 30


def _cancel(_signum: int, _frame: FrameType | None) -> None:
    raise RunCancelled()


def run_worker(run_id: str) -> int:
    settings = Settings.from_env()
    store = Store(settings.database_url)
    rows = ScheduleStore(store)
    try:
        if not rows.take_run(run_id, os.getpid(), socket.gethostname(), utcnow()):
            print(f"run {run_id} is not waiting to start; another worker has it", file=sys.stderr)
            return 0
        fields = rows.run_request(run_id)
        orchestrator, options = fields.pop("orchestrator"), fields.pop("options")
        request = RunRequest(**fields)
        signal.signal(signal.SIGTERM, _cancel)
        try:
            backend = get_orchestrator(orchestrator, store, options)
            ref = backend.submit(request)
        except RunCancelled:
            raise
        except (OrchestratorError, ConfigError) as err:
            rows.fail_run_if_active(run_id, utcnow(), (
                f"could not submit to {orchestrator}: {err.headline}\nFix: {err.fix}\n"
                f"{traceback.format_exc()}"))
            return 1
        except BaseException as err:  # the pipeline's code could not be loaded or traced
            # The headline first (what `runs show` and the scheduler's log print), then a fix
            # that fits a scheduled run (not the CLI's TARGET syntax), then the traceback.
            what = err.headline if isinstance(err, SundialError) \
                else f"{type(err).__name__}: {err}"
            _spec, source = store.version_source(request.version_id)
            where = source.get("file") or source.get("module") or "its recorded source"
            rows.fail_run_if_active(run_id, utcnow(), (
                f"could not load pipeline '{request.pipeline}' from {where}: {what}\n"
                "Fix: runs load the pipeline from where it was registered; put the code back "
                "there, or register the schedule again from where it now lives\n"
                f"{traceback.format_exc()}"))
            return 1
        if ref == run_id:  # executed here (local): the run has ended
            return 0 if store.get_run(run_id).status != FAILED else 1
        store.update_run(run_id, external_id=ref)
        return follow(store, rows, backend, request, ref)
    except RunCancelled:
        return 0
    finally:
        notify_schedulers(settings.database_url)  # a slot is free: queued runs may start
        store.close()


def follow(store: Store, rows: ScheduleStore, backend: Orchestrator, request: RunRequest,
           ref: str, poll: float | None = None) -> int:
    """Follow a run on its platform until it ends; record the end. Returns the exit code."""
    every = poll if poll is not None else float(os.environ.get("SUNDIAL_POLL_SECONDS",
                                                               POLL_SECONDS))
    stop = threading.Event()
    beat = Heartbeat(store, request.run_id, on_cancel=stop.set)
    beat.start()
    failures = 0
    state = RunState("running")
    try:
        while True:
            if stop.is_set() or store.get_run(request.run_id).status == CANCELLING:
                return _cancel_remote(store, rows, backend, request, ref)
            try:
                state = backend.run_status(ref)
                failures = 0
            except OrchestratorError as err:
                failures += 1
                log.warning("run %s: cannot read its state on %s (%s)", request.run_id,
                            backend.name, err.headline)
                if failures >= UNREACHABLE_LIMIT:
                    state = RunState("failed", f"{backend.name} did not answer about run {ref} "
                                               f"{failures} times: {err.headline}")
            if state.finished:
                break
            stop.wait(every)
    except RunCancelled:
        return _cancel_remote(store, rows, backend, request, ref)
    finally:
        beat.stop()
    spec, _source = store.version_source(request.version_id)
    rows.finish_remote_run(request.run_id, state.status, state.reason, spec["steps"], utcnow())
    return 0 if state.status == COMPLETED else 1


def _cancel_remote(store: Store, rows: ScheduleStore, backend: Orchestrator,
                   request: RunRequest, ref: str) -> int:
    try:
        backend.cancel(ref)
        reason = "cancelled"
    except OrchestratorError as err:
        reason = f"cancelled in sundial; {backend.name} could not stop it: {err.headline}"
    spec, _source = store.version_source(request.version_id)
    rows.finish_remote_run(request.run_id, CANCELLED, reason, spec["steps"], utcnow())
    return 0


if __name__ == "__main__":
    sys.exit(run_worker(sys.argv[1]))
